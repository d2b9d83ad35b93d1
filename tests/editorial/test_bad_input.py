"""Out-of-range and awkward input ends in a form error in words, never a 500 (#13)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from editorial.models import Consultation, Post, PostState, Revision
from tests.conftest import Org
from tests.factories import make_user

HUGE_ID = "99999999999999999999999"
OUT_OF_RANGE = [
    "9999-12-31T23:59:00-14:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "1999-12-31T23:59",
    "3000-01-01T00:00",
]


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _page(response: Any) -> str:
    return unescape(str(response.content.decode()))


def _compose(org: Org, **data: Any) -> Any:
    form = {"accounts": [str(org.mastodon.pk)], "text": "Texte sobre.", "language": "fr"}
    return _client(org.officer).post(reverse("editorial:compose"), {**form, **data})


def _approved(org: Org) -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager, revision=1)
    return post


@pytest.mark.parametrize("account", [HUGE_ID, "²", "-1", "1.5", "\x00"])
def test_bad_input_compose_account_id_is_a_form_error(org: Org, account: str) -> None:
    response = _compose(org, accounts=[account])
    assert response.status_code == 200
    assert "Select a valid choice" in _page(response) or "Enter a list of values" in _page(response)
    assert not Post.objects.exists()


@pytest.mark.parametrize("account", [HUGE_ID, "²", "18446744073709551616"])
def test_bad_input_live_check_account_id_is_ignored(org: Org, account: str) -> None:
    response = _client(org.officer).post(
        reverse("editorial:live_check"), {"accounts": [account], "text": "Bonjour."}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["requested_publish_at", "embargo_until"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_bad_input_compose_time_out_of_range_is_a_form_error(
    org: Org, frozen_now: datetime, field: str, value: str
) -> None:
    response = _compose(org, **{field: value})
    assert response.status_code == 200
    assert "Enter a time between the years 2000 and 2999." in _page(response)
    assert not Post.objects.exists()


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_bad_input_schedule_time_out_of_range_is_a_form_error(
    frozen_now: datetime, org: Org, value: str
) -> None:
    post = _approved(org)
    response = _client(org.manager).post(
        reverse("editorial:schedule", args=[post.pk]), {"at": value}
    )
    assert response.status_code == 400
    assert "Enter a time between the years 2000 and 2999." in _page(response)
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (PostState.APPROVED, None)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_bad_input_consultation_deadline_out_of_range_is_a_form_error(
    frozen_now: datetime, org: Org, value: str
) -> None:
    from tests.editorial.consultation_setup import make_legal

    legal = make_legal(org)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    response = _client(org.officer).post(
        reverse("editorial:consultation_ask", args=[post.pk]),
        {"units": [legal.unit.pk], "deadline": value, "question": "Est-ce exact ?"},
    )
    assert response.status_code == 400
    assert "Enter a time between the years 2000 and 2999." in _page(response)
    assert not Consultation.objects.exists()


@pytest.fixture
def reader(org: Org) -> User:
    return make_user(username="auditor", is_staff=True)


@pytest.mark.parametrize(
    "month",
    ["9999-12", "0000-01", "0001-01", "1999-12", "3000-01", "2026-13", "2026-00", "²⁰²⁶-01"],
)
def test_bad_input_waivers_report_month_out_of_range_is_refused_in_words(
    reader: User, month: str
) -> None:
    response = _client(reader).get(reverse("editorial:waivers_report"), {"month": month})
    assert response.status_code == 400
    assert "Give the month as YYYY-MM, from 2000-01 to 2999-12" in _page(response)


def test_bad_input_waivers_report_month_in_range_is_a_csv(reader: User) -> None:
    response = _client(reader).get(reverse("editorial:waivers_report"), {"month": "2999-12"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


# --- the clock-change nights (Europe/Paris) ---------------------------------------------------


def test_bad_input_autumn_ambiguous_time_asks_which_instant(frozen_now: datetime, org: Org) -> None:
    response = _compose(org, requested_publish_at="2026-10-25T02:30")
    page = _page(response)
    assert response.status_code == 200
    assert "02:30 happens twice on 2026-10-25 in Europe/Paris" in page
    assert 'name="requested_publish_at_fold" value="0"> 02:30 summer time (UTC+2)' in page
    assert 'name="requested_publish_at_fold" value="1"> 02:30 winter time (UTC+1)' in page
    assert not Post.objects.exists()


@pytest.mark.parametrize(("fold", "utc_hour"), [("0", 0), ("1", 1)])
def test_bad_input_autumn_time_with_its_instant_chosen_is_kept(
    frozen_now: datetime, org: Org, fold: str, utc_hour: int
) -> None:
    response = _compose(
        org, requested_publish_at="2026-10-25T02:30", requested_publish_at_fold=fold
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.requested_publish_at == datetime(2026, 10, 25, utc_hour, 30, tzinfo=UTC)


def test_bad_input_autumn_choice_on_the_schedule_form(frozen_now: datetime, org: Org) -> None:
    post = _approved(org)
    url = reverse("editorial:schedule", args=[post.pk])
    response = _client(org.manager).post(url, {"at": "2026-10-25T02:30"})
    assert response.status_code == 400
    assert 'name="at_fold" value="1"> 02:30 winter time (UTC+1)' in _page(response)
    _client(org.manager).post(url, {"at": "2026-10-25T02:30", "at_fold": "1"})
    post.refresh_from_db()
    assert post.scheduled_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_bad_input_spring_gap_is_refused_naming_the_gap(frozen_now: datetime, org: Org) -> None:
    response = _compose(org, embargo_until="2026-03-29T02:30")
    assert response.status_code == 200
    assert (
        "02:30 does not exist on 2026-03-29 in Europe/Paris: the clocks go forward from 02:00 "
        "to 03:00 that night." in _page(response)
    )
    assert not Revision.objects.exists()


def test_bad_input_urgent_message_shows_local_time(frozen_now: datetime, org: Org) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Routes fermées.")
    services.post_submit(post=post, by=org.officer)
    why = "Alerte météo rouge: la préfecture demande la diffusion immédiate du message."
    client = Client(headers={"accept-language": "fr"})
    client.force_login(chief)
    response = client.post(
        reverse("editorial:publish_urgently", args=[post.pk]), {"justification": why}, follow=True
    )
    due = post.posthoc_reviews.get().due_at
    assert due.astimezone(UTC) == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    # Europe/Paris in March is UTC+1: 10:00 on the page, not the UTC 09:00.
    message = _page(response).split('class="messages"')[1].split("</ul>")[0]
    assert "04/03/2026 10:00" in message
    assert "09:00" not in message


# --- NUL: PostgreSQL refuses it in text; the forms refuse it first, in words --------------

NUL_TEXT = "Adresse de contact officielle\x00 du service, publiée sur notre site."


def test_bad_input_nul_in_a_waiver_justification_is_refused(org: Org) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    text = "Écrivez-nous à contact@mairie-exemple.fr pour toute question sur le dossier."
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=text)
    response = _client(chief).post(
        reverse("editorial:waiver_grant", args=[post.pk]),
        {"rule": "pii.email", "category": "own_contact", "justification": NUL_TEXT},
        follow=True,
    )
    assert "Null characters are not allowed." in _page(response)
    assert not post.waivers.exists()


def test_bad_input_nul_in_a_request_for_changes_is_refused(org: Org) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    response = _client(org.manager).post(
        reverse("editorial:request_changes", args=[post.pk]), {"comment": NUL_TEXT}, follow=True
    )
    assert "Null characters are not allowed." in _page(response)
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW


def test_bad_input_nul_in_a_withdrawal_reason_is_refused(org: Org) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    response = _client(org.officer).post(
        reverse("editorial:withdraw", args=[post.pk]), {"reason": NUL_TEXT}, follow=True
    )
    assert "Null characters are not allowed." in _page(response)
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW


def test_bad_input_nul_in_the_live_check_is_no_error(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:live_check"),
        {"accounts": [str(org.mastodon.pk)], "text": "Voir https://exemple.fr/\x00a et\x00 b"},
    )
    assert response.status_code == 200


def test_bad_input_nul_in_a_late_cancellation_reason_is_refused(org: Org) -> None:
    from editorial.models import AuditEvent

    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    before = AuditEvent.objects.count()
    response = _client(org.manager).post(
        reverse("publishing:cancel_late", args=[post.pk]), {"reason": NUL_TEXT}, follow=True
    )
    assert "Null characters are not allowed." in _page(response)
    assert AuditEvent.objects.count() == before

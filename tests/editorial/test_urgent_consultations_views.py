"""The urgent page past an unanswered blocking consultation, in French and in English: the
alert, the acknowledgement, the refusal that keeps what was typed, and the consultation shown
as overridden afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from editorial.models import Consultation, Post, PostState
from editorial.services import consultations
from tests.conftest import Org
from tests.editorial.consultation_setup import Legal, ask, make_legal
from tests.factories import make_unit, make_user

S = PostState
WHY = "Alerte météo rouge: la préfecture demande la diffusion immédiate du message."
NBSP = "\u00a0"

pytestmark = pytest.mark.usefixtures("frozen_now")


def _client(user: User, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


@pytest.fixture
def chief(org: Org) -> User:
    chief = make_user(username="chief", first_name="Paul", last_name="Chef")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    return chief


@pytest.fixture
def legal(org: Org) -> Legal:
    return make_legal(org)


def _in_review(org: Org) -> Post:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Fermeture des routes ce soir."
    )
    services.post_submit(post=post, by=org.officer)
    return post


def _url(post: Post) -> str:
    return reverse("editorial:publish_urgently", args=[post.pk])


def _text(response: Any) -> str:
    return str(response.content.decode()).replace("&nbsp;", NBSP)


def _state(post: Post) -> str:
    post.refresh_from_db()
    return str(post.state)


@pytest.mark.parametrize(
    ("language", "title", "line", "box"),
    [
        (
            "en",
            "A blocking consultation is still unanswered",
            "<b>Affaires juridiques (daj)</b>: asked by Jeanne Dupont on 03/02/2026 10 a.m., "
            "answer due by 03/04/2026 10 a.m.",
            "I publish without the answer of Affaires juridiques (daj)",
        ),
        (
            "fr",
            "Une consultation bloquante attend toujours sa réponse",
            f"<b>Affaires juridiques (daj)</b>{NBSP}: consultée par Jeanne Dupont le "
            "02/03/2026 10:00, réponse attendue avant le 04/03/2026 10:00",
            "Je publie sans la réponse de Affaires juridiques (daj)",
        ),
    ],
)
def test_views_urgent_page_lists_the_unanswered_blocking_consultation(
    org: Org,
    chief: User,
    legal: Legal,
    frozen_now: datetime,
    language: str,
    title: str,
    line: str,
    box: str,
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post, deadline=frozen_now + timedelta(days=2))
    page = _text(_client(chief, language).get(_url(post)))
    alert = page.split('id="urgent-consultations"')[1].split("</div>")[0]
    assert title in alert
    assert line in alert
    assert f'data-consultation="{consultation.pk}"' in alert
    assert escape(box, quote=False) in page
    assert f'name="consultations" value="{consultation.pk}"' in page


def test_views_urgent_page_shows_no_alert_without_blocking_consultation(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    ask(legal, post, blocking=False)
    page = _text(_client(chief, "en").get(_url(post)))
    assert 'id="urgent-consultations"' not in page
    assert 'name="acknowledge"' not in page


def test_views_post_page_urgent_form_carries_the_alert_and_the_box(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    ask(legal, post)
    page = _text(_client(chief, "en").get(reverse("editorial:post", args=[post.pk])))
    form = page.split('id="urgent-form"')[1].split("</form>")[0]
    assert 'id="urgent-consultations"' in form
    assert 'name="acknowledge"' in form


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "tick the box to confirm you publish without its answer"),
        ("fr", "cochez la case pour confirmer que vous publiez sans elle"),
    ],
)
def test_views_urgent_without_acknowledgement_is_refused_and_keeps_the_text(
    org: Org, chief: User, legal: Legal, language: str, message: str
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    response = _client(chief, language).post(
        _url(post), {"justification": WHY, "consultations": str(consultation.pk)}
    )
    assert response.status_code == 400
    page = _text(response)
    assert message in page.split('class="msg error acknowledge-error"')[1]
    assert escape(WHY) in page.split('id="id_justification"')[1]
    assert _state(post) == S.IN_REVIEW


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Since you opened this page, Préfecture (pref) was asked a blocking question"),
        ("fr", "Depuis que vous avez ouvert cette page, Préfecture (pref) a été consulté"),
    ],
)
def test_views_urgent_consultation_asked_since_the_page_is_refused_and_listed(
    org: Org, chief: User, legal: Legal, language: str, message: str
) -> None:
    post = _in_review(org)
    seen = ask(legal, post)
    unit = make_unit(name="Préfecture", code="pref", parent=org.ministry)
    membership_create(user=make_user(username="prefet"), unit=unit, role=Membership.Role.AUTHOR)
    (later,) = consultations.consultation_request(
        post=post,
        units=[unit],
        question="Les horaires sont-ils confirmés ?",
        blocking=True,
        deadline=timezone.now() + timedelta(hours=4),
        by=org.manager,
    )
    response = _client(chief, language).post(
        _url(post),
        {"justification": WHY, "consultations": str(seen.pk), "acknowledge": "on"},
    )
    assert response.status_code == 400
    page = _text(response)
    assert message in page
    # Listed now, to acknowledge afresh: the box is not left ticked for a list not read.
    assert f'data-consultation="{later.pk}"' in page
    assert f'name="consultations" value="{seen.pk},{later.pk}"' in page
    assert 'id="id_acknowledge" checked' not in page
    assert escape(WHY) in page.split('id="id_justification"')[1]
    assert not Consultation.objects.filter(overridden_at__isnull=False).exists()


def test_views_urgent_acknowledged_publishes_and_says_the_unit_is_told(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    client = _client(chief, "fr")
    response = client.post(
        _url(post),
        {"justification": WHY, "consultations": str(consultation.pk), "acknowledge": "on"},
        follow=True,
    )
    page = _text(response)
    assert _state(post) == S.SCHEDULED
    assert (
        f"La consultation de Affaires juridiques (daj) a été close, passée outre{NBSP}; "
        "ses membres en sont informés" in page
    )


@pytest.mark.parametrize(
    ("language", "status", "line"),
    [
        (
            "en",
            "overridden by the urgent procedure",
            "Overridden by the urgent procedure: Paul Chef published on 03/02/2026 10 a.m. "
            "without this answer.",
        ),
        (
            "fr",
            "passée outre par la procédure d&#x27;urgence",
            f"Passée outre par la procédure d'urgence{NBSP}: Paul Chef a publié le "
            "02/03/2026 10:00 sans cette réponse.",
        ),
    ],
)
def test_views_post_page_shows_the_consultation_overridden_with_who_and_why(
    org: Org, chief: User, legal: Legal, language: str, status: str, line: str
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    _client(chief, "en").post(
        _url(post),
        {"justification": WHY, "consultations": str(consultation.pk), "acknowledge": "on"},
    )
    page = _text(_client(legal.jurist, language).get(reverse("editorial:post", args=[post.pk])))
    row = page.split(f'id="consultation-{consultation.pk}"')[1].split("</li>")[0]
    assert 'data-status="overridden"' in page
    assert f'<span class="status">{status}</span>' in row
    assert line in row
    assert escape(WHY) in row
    # The unit may still answer once, so an objection reaches the post-hoc review.
    assert 'class="subform answer-form"' in row


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("en", "consultation overridden by the urgent procedure"),
        ("fr", "consultation passée outre par la procédure d&#x27;urgence"),
    ],
)
def test_views_history_shows_the_override_with_who_and_why(
    org: Org, chief: User, legal: Legal, language: str, label: str
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    _client(chief, "en").post(
        _url(post),
        {"justification": WHY, "consultations": str(consultation.pk), "acknowledge": "on"},
    )
    page = _text(_client(org.officer, language).get(reverse("editorial:post", args=[post.pk])))
    event = page.split('data-verb="consultation_overridden"')[1].split("</li>")[0]
    assert f"<b>{label}</b>" in event
    assert "Paul Chef" in event
    assert "Affaires juridiques (daj)" in event
    assert f'<em class="justification">{escape(WHY)}</em>' in event
    assert ("Revue a posteriori" if language == "fr" else "Post-hoc review") in event

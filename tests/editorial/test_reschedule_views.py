"""The calendar's drop and the post page's schedule form when the approval policy wants a new
time approved again: the answer says the post went back to review, in words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from charter import services as charter_services
from charter.models import ElectionWindow
from editorial import services
from editorial.forms.review import ScheduleForm
from editorial.models import ApprovalPolicy, Post, PostState, RescheduleRule
from tests.conftest import Org
from tests.factories import make_policy, make_user

S = PostState
PARIS = ZoneInfo("Europe/Paris")
THURSDAY = datetime(2026, 3, 5, 10, 0, tzinfo=PARIS)


def _client(user: User, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _always(org: Org) -> ApprovalPolicy:
    policy: ApprovalPolicy = make_policy(unit=org.service, name="Service")
    policy.reschedule_rule = RescheduleRule.ALWAYS
    policy.save()
    return policy


def _scheduled(org: Org) -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Marché jeudi.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=THURSDAY)
    post.refresh_from_db()
    return post


def _move(client: Client, post: Post, at: str) -> Any:
    return client.post(reverse("editorial:calendar_move", args=[post.pk]), {"at": at})


def test_calendar_move_says_the_post_went_back_to_review(frozen_now: datetime, org: Org) -> None:
    _always(org)
    post = _scheduled(org)
    response = _move(_client(org.manager), post, "2026-03-06T15:30")
    assert response.status_code == 200
    body = response.json()
    assert body["review"] is True
    assert "went back to review" in body["message"]
    assert "Standard" in body["message"]
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (S.IN_REVIEW, None)
    assert post.requested_publish_at == datetime(2026, 3, 6, 15, 30, tzinfo=PARIS)


def test_calendar_move_back_to_review_in_french(frozen_now: datetime, org: Org) -> None:
    _always(org)
    post = _scheduled(org)
    body = _move(_client(org.manager, "fr"), post, "2026-03-06T15:30").json()
    assert "renvoyé en validation" in body["message"]


def test_calendar_move_accepted_says_no_review(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    body = _move(_client(org.manager), post, "2026-03-06T15:30").json()
    assert body["review"] is False


def test_calendar_move_back_to_review_leaves_the_feed(frozen_now: datetime, org: Org) -> None:
    _always(org)
    post = _scheduled(org)
    client = _client(org.manager)
    _move(client, post, "2026-03-06T15:30")
    feed = client.get(
        reverse("editorial:calendar_events"),
        {"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"},
    ).json()
    assert [e for e in feed if e.get("id") == str(post.pk)] == []


def test_calendar_move_into_a_pre_electoral_period_goes_to_the_political_tier(
    frozen_now: datetime, org: Org
) -> None:
    _always(org)
    post = _scheduled(org)
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.ministry, role=Membership.Role.ADMIN)
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    window = ElectionWindow(
        name="Municipales", kind="municipal", unit=org.ministry, first_round=date(2026, 10, 4)
    )
    charter_services.election_window_save(window=window, by=chief)
    body = _move(_client(org.manager), post, "2026-04-02T10:00").json()
    assert "Political" in body["message"]
    post.refresh_from_db()
    assert (post.state, post.tier) == (S.IN_REVIEW, "political")


def test_post_page_schedule_form_back_to_review(frozen_now: datetime, org: Org) -> None:
    _always(org)
    post = _scheduled(org)
    client = _client(org.manager)
    response = client.post(
        reverse("editorial:schedule", args=[post.pk]), {"at": "2026-03-06T15:30"}, follow=True
    )
    page = response.content.decode()
    assert "went back to review" in page
    assert "Scheduled." not in page
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW


def test_post_page_publish_now_back_to_review(frozen_now: datetime, org: Org) -> None:
    """ "Publish now" moves a post booked for Thursday to now: a move like any other."""
    _always(org)
    post = _scheduled(org)
    response = _client(org.manager).post(
        reverse("editorial:schedule", args=[post.pk]), {ScheduleForm.NOW: "1"}, follow=True
    )
    page = response.content.decode()
    assert "went back to review" in page
    assert "Scheduled to go out now." not in page
    post.refresh_from_db()
    assert (post.state, post.requested_publish_at) == (S.IN_REVIEW, frozen_now)


def test_post_page_history_says_the_move_in_french(frozen_now: datetime, org: Org) -> None:
    _always(org)
    post = _scheduled(org)
    _move(_client(org.manager), post, "2026-03-06T15:30")
    page = _client(org.manager, "fr").get(reverse("editorial:post", args=[post.pk]))
    text = page.content.decode()
    assert "déplacé à une autre heure et renvoyé en validation" in text
    assert "Règle du circuit de validation" in text
    assert "Valider à nouveau à chaque changement d\u2019heure" in text

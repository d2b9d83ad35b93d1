"""The tick re-checks each due post before anything of it is created or sent: a post the
charter would now refuse is held, its people told, and no publication exists for it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import SocialAccount
from charter.models import ElectionWindow
from editorial import services as editorial
from editorial.models import AuditEvent, Notification, Post, PostState
from publishing import services
from publishing.models import Publication, PublicationState
from publishing.services.late import publications_confirm_late
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, RecordingTask, scheduled

S = PostState
PARIS = ZoneInfo("Europe/Paris")
THURSDAY = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
SATURDAY_NOON = datetime(2026, 3, 14, 12, 0, tzinfo=PARIS)
MONDAY = datetime(2026, 3, 16, 10, 0, tzinfo=PARIS)


def _election_missed_by_the_declaration(org: Org) -> None:
    """An election recorded without the re-check of the declaration (a data import, the
    shell): only the claim can catch the posts it concerns."""
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=date(2026, 3, 15)
    )


def _held(post: Post) -> Post:
    post.refresh_from_db()
    assert post.state == S.HELD, post.state
    assert not Publication.objects.filter(post=post).exists()
    return post


def test_tick_in_the_silence_holds_a_post_scheduled_before_the_election(
    org: Org, fake: FakeAdapter, broker: RecordingTask
) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = scheduled(org, at=SATURDAY_NOON)
    _election_missed_by_the_declaration(org)
    with time_machine.travel(SATURDAY_NOON, tick=False):
        result = services.tick()
    assert result.started_posts == 0 and result.queued == []
    assert broker.calls == [] and fake.sent == []
    post = _held(post)
    assert "electoral silence" in post.hold_reason
    event = AuditEvent.objects.get(post=post, verb="held_by_charter")
    assert event.actor is None and event.on_behalf_of == org.manager
    assert "neutrality.electoral_silence" in event.data["rules"]
    told = Notification.objects.filter(post=post, kind=Notification.Kind.CHARTER_HOLD)
    # The author, the approver (who scheduled) and the accounts' publishers (the same here).
    assert set(told.values_list("recipient", flat=True)) == {org.officer.pk, org.manager.pk}
    assert "schedules it again" in told.first().message  # type: ignore[union-attr]


def test_tick_after_the_silence_publishes_a_held_post_scheduled_again(
    org: Org, fake: FakeAdapter, broker: RecordingTask
) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = scheduled(org, at=SATURDAY_NOON)
    _election_missed_by_the_declaration(org)
    with time_machine.travel(SATURDAY_NOON, tick=False):
        services.tick()
    _held(post)
    with time_machine.travel(MONDAY, tick=False):
        editorial.post_schedule(post=post, by=org.manager)
        result = services.tick()
    assert result.started_posts == 1
    post.refresh_from_db()
    assert post.state == S.PUBLISHING
    assert Publication.objects.filter(post=post).count() == 2


def test_tick_holds_a_post_whose_time_comes_before_its_embargo(
    org: Org, fake: FakeAdapter, broker: RecordingTask
) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = editorial.post_create(
            by=org.officer,
            accounts=[org.mastodon],
            text="Les résultats de l'enquête seront publiés lundi.",
            requested_publish_at=MONDAY,
            embargo_until=MONDAY,
        )
        editorial.post_submit(post=post, by=org.officer)
        editorial.post_approve(post=post, by=org.manager)
        editorial.post_schedule(post=post, by=org.manager, at=MONDAY)
    # Booked earlier behind the services' back (a post scheduled before this check existed).
    Post.objects.filter(pk=post.pk).update(scheduled_at=SATURDAY_NOON)
    with time_machine.travel(SATURDAY_NOON, tick=False):
        services.tick()
    assert fake.sent == []
    post = _held(post)
    event = AuditEvent.objects.get(post=post, verb="held_by_charter")
    assert event.data["rules"] == ["embargo.later_than_schedule"]


def test_tick_holds_a_post_on_a_deactivated_account(
    org: Org, fake: FakeAdapter, broker: RecordingTask
) -> None:
    post = scheduled(org)
    SocialAccount.objects.filter(pk=org.bluesky.pk).update(is_active=False)
    services.tick()
    assert broker.calls == []
    post = _held(post)
    assert "deactivated" in post.hold_reason


def test_tick_holds_a_post_on_an_account_that_needs_reconnection(
    org: Org, fake: FakeAdapter, broker: RecordingTask
) -> None:
    post = scheduled(org)
    SocialAccount.objects.filter(pk=org.mastodon.pk).update(
        needs_reconnection_since=datetime(2026, 3, 1, tzinfo=PARIS),
        reconnection_reason="The server refused the token.",
    )
    services.tick()
    post = _held(post)
    assert "must be reconnected" in post.hold_reason
    assert "The server refused the token." in post.hold_reason


def test_tick_holds_only_the_post_that_fails_and_starts_the_others(
    org: Org, fake: FakeAdapter, broker: RecordingTask
) -> None:
    fine = scheduled(org, accounts=[org.mastodon])
    failing = scheduled(org, accounts=[org.bluesky])
    SocialAccount.objects.filter(pk=org.bluesky.pk).update(is_active=False)
    result = services.tick()
    assert result.started_posts == 1
    assert {p.post_id for p in Publication.objects.all()} == {fine.pk}
    _held(failing)


def test_tick_sends_the_byline_of_the_accounts_current_template(
    org: Org, fake: FakeAdapter, broker: RecordingTask
) -> None:
    """The byline the re-check measured is the one sent, and the post's record says so."""
    post = scheduled(org, accounts=[org.mastodon])
    org.mastodon.byline_template = "— {unit} · Ville de Lyon ^{initials}"
    org.mastodon.save()
    services.tick()
    publication = Publication.objects.get(post=post)
    assert publication.byline == "— SICOM · Ville de Lyon ^JD"
    assert publication.text.endswith("\n\n— SICOM · Ville de Lyon ^JD")
    post.refresh_from_db()
    assert post.byline_record["bylines"] == {str(org.mastodon.pk): publication.byline}
    event = AuditEvent.objects.get(post=post, verb="publishing")
    assert event.data == {"bylines_refreshed": True}


def test_confirming_a_late_post_is_refused_once_the_silence_has_begun(
    org: Org, fake: FakeAdapter, broker: RecordingTask, settings: Any
) -> None:
    """Held because it was late (before any election), confirmed by a publisher during the
    silence: the confirmation publishes now, so it is re-checked now."""
    settings.PUBLISH_LATE_AFTER_MINUTES = 30
    wednesday = datetime(2026, 3, 11, 10, 0, tzinfo=PARIS)
    with time_machine.travel(wednesday, tick=False):
        post = scheduled(org, at=wednesday)
    with time_machine.travel(wednesday + timedelta(hours=1), tick=False):
        services.tick()
    assert set(Publication.objects.values_list("state", flat=True)) == {PublicationState.HELD}
    _election_missed_by_the_declaration(org)
    with (
        time_machine.travel(SATURDAY_NOON, tick=False),
        pytest.raises(editorial.ScheduleRefused, match="electoral silence"),
    ):
        publications_confirm_late(post=post, by=org.manager)
    assert set(Publication.objects.values_list("state", flat=True)) == {PublicationState.HELD}
    assert fake.sent == []

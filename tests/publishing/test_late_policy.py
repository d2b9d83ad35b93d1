"""The late-post policy (hold what is too late until a publisher decides) and backlog pacing
(a late backlog goes out one per account at a time, never as a flood)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from editorial import services as editorial
from editorial.models import Notification, PostState
from publishing import services
from publishing.models import Publication, PublicationState
from publishing.services.late import publications_cancel_late, publications_confirm_late
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

P = PublicationState


@pytest.fixture(autouse=True)
def _clock(frozen_now: datetime) -> None:
    """One frozen moment, moved only by the travels below: a slow tick on a busy machine
    cannot eat into the pace or the backoff being checked."""


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    settings.PUBLISH_LATE_AFTER_MINUTES = 30
    settings.PUBLISH_BACKLOG_GRACE_SECONDS = 60
    settings.PUBLISH_BACKLOG_PACE_SECONDS = 30


def _tick(capture: Any) -> list[Any]:
    with capture(execute=False):
        return list(services.tick().queued)


def test_publication_later_than_the_limit_is_held_and_people_are_told(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org)
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        queued = _tick(django_capture_on_commit_callbacks)

    assert queued == []
    assert set(Publication.objects.values_list("state", flat=True)) == {P.HELD}
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHING
    assert sorted(post.held_late) == sorted([str(org.mastodon), str(org.bluesky)])
    told = Notification.objects.filter(post=post, kind=Notification.Kind.HELD_LATE)
    assert {org.officer.pk, org.manager.pk} <= set(told.values_list("recipient_id", flat=True))
    assert "45 minutes late" in told.first().message  # type: ignore[union-attr]
    assert fake.sent == []


def test_account_limit_overrides_the_site_default(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    org.mastodon.late_after_minutes = 120
    org.mastodon.save()
    scheduled(org)
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        _tick(django_capture_on_commit_callbacks)

    assert Publication.objects.get(account=org.mastodon).state != P.HELD
    assert Publication.objects.get(account=org.bluesky).state == P.HELD


def test_on_time_publications_are_never_held_nor_paced(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PUBLISH_ACCOUNT_CONCURRENCY = 5
    for _ in range(3):
        scheduled(org, accounts=[org.mastodon])
    queued = _tick(django_capture_on_commit_callbacks)
    assert len(queued) == 3


def test_confirmed_publication_goes_out_and_is_never_held_again(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org, accounts=[org.mastodon])
    later = timezone.now() + timedelta(minutes=45)
    with time_machine.travel(later, tick=False):
        _tick(django_capture_on_commit_callbacks)
        publications_confirm_late(post=post, by=org.manager)
        queued = _tick(django_capture_on_commit_callbacks)
        for pk in queued:
            services.publication_send(publication_id=pk)

    publication = Publication.objects.get(post=post)
    assert publication.state == P.PUBLISHED
    assert publication.late_confirmed_by == org.manager
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert post.held_late == []
    assert list(post.events.filter(verb="late_confirmed").values_list("actor", flat=True)) == [
        org.manager.pk
    ]


def test_cancelled_publication_fails_with_the_reason_and_sends_nothing(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org, accounts=[org.mastodon])
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        _tick(django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            publications_cancel_late(
                post=post, by=org.manager, reason="L'événement annoncé est passé."
            )

    post.refresh_from_db()
    assert post.state == PostState.FAILED
    assert "L'événement annoncé est passé." in post.last_error
    assert fake.sent == []
    # Nothing reached a network: the post can now be withdrawn for good.
    editorial.post_withdraw(post=post, by=org.manager, reason="Annonce périmée, retirée.")


def test_cancel_needs_a_reason(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org, accounts=[org.mastodon])
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        _tick(django_capture_on_commit_callbacks)
    with pytest.raises(editorial.EditorialError):
        publications_cancel_late(post=post, by=org.manager, reason="non")
    assert Publication.objects.get(post=post).state == P.HELD


def test_only_a_publisher_decides(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org, accounts=[org.mastodon])
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        _tick(django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        publications_confirm_late(post=post, by=org.officer)
    assert Publication.objects.get(post=post).state == P.HELD


def test_backlog_goes_out_one_per_account_per_pace(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(3):
        scheduled(org, accounts=[org.mastodon])
    start = timezone.now() + timedelta(minutes=10)  # late, but under the 30-minute limit

    with time_machine.travel(start, tick=False):
        first = _tick(django_capture_on_commit_callbacks)
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        too_soon = _tick(django_capture_on_commit_callbacks)
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        second = _tick(django_capture_on_commit_callbacks)

    assert (len(first), len(too_soon), len(second)) == (1, 0, 1)
    assert Publication.objects.filter(state=P.PENDING).count() == 1


def test_backlog_pacing_is_per_account(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(2):
        scheduled(org)  # both accounts
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        queued = _tick(django_capture_on_commit_callbacks)
    accounts = set(Publication.objects.filter(pk__in=queued).values_list("account", flat=True))
    assert accounts == {org.mastodon.pk, org.bluesky.pk}


def test_held_post_page_offers_the_decision_to_publishers(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org, accounts=[org.mastodon])
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        _tick(django_capture_on_commit_callbacks)
    client = Client(headers={"accept-language": "en"})
    client.force_login(org.manager)
    page = client.get(reverse("editorial:post", args=[post.pk]))
    assert b'id="confirm-late"' in page.content

    response = client.post(reverse("publishing:confirm_late", args=[post.pk]), follow=True)

    assert b"Confirmed: the post goes out now" in response.content
    assert Publication.objects.get(post=post).state == P.PENDING


def test_held_post_decision_refused_to_the_author_through_the_page(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org, accounts=[org.mastodon])
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        _tick(django_capture_on_commit_callbacks)
    client = Client(headers={"accept-language": "en"})
    client.force_login(org.officer)
    client.post(reverse("publishing:confirm_late", args=[post.pk]))
    assert Publication.objects.get(post=post).state == P.HELD


def test_account_concurrency_caps_what_is_queued_or_sending_at_once(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PUBLISH_ACCOUNT_CONCURRENCY = 2
    for _ in range(3):
        scheduled(org, accounts=[org.mastodon])

    first = _tick(django_capture_on_commit_callbacks)
    assert len(first) == 2
    assert _tick(django_capture_on_commit_callbacks) == []  # both still in flight

    services.publication_send(publication_id=first[0])
    assert len(_tick(django_capture_on_commit_callbacks)) == 1


def test_rate_budget_keeps_an_account_under_the_servers_limit(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PUBLISH_ACCOUNT_CONCURRENCY = 10
    settings.PUBLISH_RATE_LIMITS = {"mastodon": "2/3600", "bluesky": ""}
    settings.PUBLISH_LATE_AFTER_MINUTES = 24 * 60  # the third one waits an hour: not "late"
    for _ in range(3):
        scheduled(org, accounts=[org.mastodon])
    scheduled(org, accounts=[org.bluesky])

    queued = _tick(django_capture_on_commit_callbacks)
    networks = list(
        Publication.objects.filter(pk__in=queued).values_list("account__network", flat=True)
    )
    assert sorted(networks) == ["bluesky", "mastodon", "mastodon"]
    for pk in queued:
        services.publication_send(publication_id=pk)

    assert _tick(django_capture_on_commit_callbacks) == []  # the budget is spent for an hour
    with time_machine.travel(timezone.now() + timedelta(seconds=3601), tick=False):
        assert len(_tick(django_capture_on_commit_callbacks)) == 1


def test_pacing_reads_the_database_once_per_tick_not_per_publication(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from publishing.services.pacing import Pacer

    settings.PUBLISH_ACCOUNT_CONCURRENCY = 100

    def queries_for(count: int) -> int:
        for _ in range(count):
            scheduled(org)
        with django_capture_on_commit_callbacks(execute=False):
            services.tick()
        candidates = list(Publication.objects.select_related("account"))
        assert len(candidates) >= 2 * count  # the earlier call's are still there
        with CaptureQueriesContext(connection) as ctx:
            pacer = Pacer.for_candidates(timezone.now(), candidates)
            verdicts = [pacer.verdict(p) for p in candidates]
        assert set(verdicts) == {"go"}
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(6)

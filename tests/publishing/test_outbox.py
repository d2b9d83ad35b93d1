"""The outbox and scheduler with a fake adapter (the real networks are in tests/integration)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from editorial import services as editorial
from editorial.models import AuditEvent, Notification, PostState
from publishing import services
from publishing.adapters.base import PublishError
from publishing.models import Attempt, Publication, PublicationState
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

P = PublicationState


@pytest.fixture(autouse=True)
def _clock(frozen_now: datetime) -> None:
    """Every "now" here is one frozen moment: no comparison races a busy machine."""


def _tick_and_send(capture: Callable[..., Any]) -> list[Any]:
    with capture(execute=False) as callbacks:
        result = services.tick()
    for pk in result.queued:
        services.publication_send(publication_id=pk)
    return callbacks  # type: ignore[no-any-return]


def test_tick_queues_one_publication_per_account_on_commit(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.tick()
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHING
    assert len(result.queued) == 2
    assert len(callbacks) == 2
    assert set(Publication.objects.values_list("state", flat=True)) == {P.QUEUED}


def test_tick_leaves_future_posts_alone(org: Org, fake: FakeAdapter) -> None:
    post = scheduled(org, at=timezone.now() + timedelta(minutes=10))
    result = services.tick()
    post.refresh_from_db()
    assert result.started_posts == 0
    assert post.state == PostState.SCHEDULED


def test_send_publishes_with_frozen_byline_and_reports_to_post(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org)
    _tick_and_send(django_capture_on_commit_callbacks)
    post.refresh_from_db()
    pub = Publication.objects.get(account=org.mastodon)
    assert post.state == PostState.PUBLISHED
    assert pub.text == "Ouverture du guichet unique lundi.\n\n— SICOM ^JD"
    assert pub.remote_url == f"https://example.test/{pub.pk}"
    assert pub.scheduled_by == org.manager
    assert pub.byline_record["approvers"][0]["id"] == org.manager.pk
    assert {link["url"] for link in post.remote_links} == {
        p.remote_url for p in Publication.objects.all()
    }


def test_send_called_twice_sends_once(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    scheduled(org)
    with django_capture_on_commit_callbacks(execute=False):
        result = services.tick()
    pk = result.queued[0]
    services.publication_send(publication_id=pk)
    services.publication_send(publication_id=pk)  # a redelivered message
    assert len([s for s in fake.sent if s["key"] == str(pk)]) == 1


def test_send_transient_error_retries_later_with_same_payload(
    frozen_now: datetime, org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    scheduled(org)
    fake.errors.append(PublishError("server busy", permanent=False, retry_after=30))
    with django_capture_on_commit_callbacks(execute=False):
        first = services.tick().queued[0]
    assert services.publication_send(publication_id=first) == P.PENDING
    pub = Publication.objects.get(pk=first)
    # The clock is frozen: the server's 30 s are counted from the failed send, not from
    # whenever this line runs on a busy machine.
    assert pub.next_attempt_at >= frozen_now + timedelta(seconds=30)
    assert first not in services.tick().queued
    Publication.objects.filter(pk=first).update(next_attempt_at=frozen_now)
    with django_capture_on_commit_callbacks(execute=False):
        assert first in services.tick().queued
    assert services.publication_send(publication_id=first) == P.PUBLISHED
    sent = [s for s in fake.sent if s["key"] == str(first)]
    assert len(sent) == 2 and sent[0] == sent[1]  # prepared once, sent identically
    assert fake.prepared.count(str(first)) == 1
    assert list(Attempt.objects.filter(publication_id=first).values_list("outcome", flat=True)) == [
        "transient",
        "published",
    ]


def test_send_permanent_error_fails_post_with_words(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org)
    fake.errors.append(PublishError("Text too long (512 > 500)", permanent=True))
    _tick_and_send(django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.state == PostState.FAILED
    assert "Text too long" in post.last_error
    assert Publication.objects.filter(state=P.PUBLISHED).count() == 1


def test_retry_after_failure_resends_only_the_failed_account(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org)
    fake.errors.append(PublishError("refused", permanent=True))
    _tick_and_send(django_capture_on_commit_callbacks)
    sent_before = len(fake.sent)
    editorial.post_retry(post=post, by=org.manager)
    _tick_and_send(django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert len(fake.sent) == sent_before + 1


def test_stale_sending_is_reclaimed_by_tick(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    scheduled(org)
    with django_capture_on_commit_callbacks(execute=False):
        pk = services.tick().queued[0]
    # A worker claimed it and died mid-send.
    Publication.objects.filter(pk=pk).update(
        state=P.SENDING, claimed_at=timezone.now() - timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=False):
        result = services.tick()
    assert result.reclaimed == 1
    assert pk in result.queued


def test_worker_events_name_no_invented_user(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org)
    _tick_and_send(django_capture_on_commit_callbacks)
    worker_events = AuditEvent.objects.filter(post=post, verb__in=["publishing", "published"])
    assert worker_events.count() == 2
    assert all(e.actor is None and e.on_behalf_of == org.manager for e in worker_events)


def test_tick_records_outcome_a_dead_worker_left_unreported(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org)
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()
    # Both sends reached the network and were recorded, then the worker died before
    # reporting to the post.
    Publication.objects.update(state=P.PUBLISHED, remote_url="https://example.test/x")
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHING
    services.tick()
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED


def test_late_failure_of_a_reclaimed_attempt_leaves_the_new_claim_alone(
    org: Org,
    fake: FakeAdapter,
    settings: Any,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A worker hung mid-send past the stale limit (a paused VM, a stopped process): the
    sweeper reclaimed its publication and another worker claimed it. When the first worker
    wakes up and its request fails, that must not fail (nor reschedule) the second send."""
    settings.PUBLISH_MAX_ATTEMPTS = 1  # the hung attempt was the last one allowed
    post = scheduled(org, accounts=[org.mastodon])
    with django_capture_on_commit_callbacks(execute=False):
        (pk,) = services.tick().queued
    newer_claim = timezone.now() + timedelta(minutes=6)

    def hung_then_failed(*args: Any) -> Any:
        Publication.objects.filter(pk=pk).update(
            state=P.SENDING, claimed_at=newer_claim, attempts=2
        )
        raise PublishError("503 Service Unavailable", permanent=False, maybe_sent=True)

    monkeypatch.setattr(fake, "publish", hung_then_failed)
    assert services.publication_send(publication_id=pk) == P.SENDING
    pub = Publication.objects.get(pk=pk)
    assert (pub.state, pub.claimed_at, pub.last_error) == (P.SENDING, newer_claim, "")
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHING
    assert not Notification.objects.filter(post=post, kind=Notification.Kind.FAILED).exists()
    # The failed attempt is still on record, as unknown: its request may have gone out.
    assert list(Attempt.objects.filter(publication_id=pk).values_list("outcome", flat=True)) == [
        "unknown"
    ]

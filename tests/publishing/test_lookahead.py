"""On time: a tick starts what falls due within the lookahead, the worker sends at the due time.

The clock is frozen (time-machine) and the worker's waits move it instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from editorial.models import PostState
from publishing import services
from publishing.models import Attempt, Publication, PublicationState
from publishing.services import sending
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, RecordingTask, scheduled

P = PublicationState

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine: Any, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Freeze time at T0; the worker's waits shift the clock and are recorded."""
    time_machine.move_to(T0, tick=False)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time_machine.shift(timedelta(seconds=seconds))

    monkeypatch.setattr(sending, "_sleep", sleep)
    return waits


def _tick(capture: Any) -> services.TickResult:
    with capture(execute=True):
        return services.tick()


def test_tick_starts_post_due_within_lookahead_with_eta_at_due_time(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    django_capture_on_commit_callbacks: Any,
) -> None:
    due = T0 + timedelta(seconds=3)
    post = scheduled(org, at=due)
    result = _tick(django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHING
    assert len(result.queued) == 2
    assert set(Publication.objects.values_list("state", "next_attempt_at")) == {(P.QUEUED, due)}
    assert {(c.publication_id, c.eta) for c in broker.calls} == {
        (str(pk), due) for pk in result.queued
    }
    assert fake.sent == []


@pytest.mark.parametrize(("lookahead", "in_seconds"), [(5, 6), (0, 3)])
def test_tick_leaves_post_beyond_lookahead_scheduled(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    lookahead: float,
    in_seconds: float,
) -> None:
    settings.PUBLISH_LOOKAHEAD_SECONDS = lookahead
    post = scheduled(org, at=T0 + timedelta(seconds=in_seconds))
    result = _tick(django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert result.started_posts == 0
    assert post.state == PostState.SCHEDULED
    assert broker.calls == []


def test_tick_enqueues_overdue_publication_without_eta(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    django_capture_on_commit_callbacks: Any,
) -> None:
    scheduled(org, at=T0 - timedelta(seconds=30), accounts=[org.mastodon])
    _tick(django_capture_on_commit_callbacks)
    assert [c.eta for c in broker.calls] == [None]


def test_send_waits_for_due_time_then_sends_once(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    django_capture_on_commit_callbacks: Any,
) -> None:
    due = T0 + timedelta(seconds=3)
    scheduled(org, at=due, accounts=[org.mastodon])
    (pk,) = _tick(django_capture_on_commit_callbacks).queued
    # The message arrives at once (a redelivery ignoring its ETA): the worker waits.
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    assert clock == [3.0]
    assert fake.sent_at == [due]
    attempt = Attempt.objects.get(publication_id=pk)
    assert attempt.started_at == due
    assert attempt.acknowledged_at == Publication.objects.get(pk=pk).published_at == due


def test_send_on_time_does_not_wait(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    due = T0 + timedelta(seconds=2)
    scheduled(org, at=due, accounts=[org.mastodon])
    (pk,) = _tick(django_capture_on_commit_callbacks).queued
    time_machine.shift(timedelta(seconds=2))  # the broker delivered at the ETA
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    assert clock == []
    assert fake.sent_at == [due]


def test_send_far_too_early_puts_message_back_unsent(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    django_capture_on_commit_callbacks: Any,
) -> None:
    due = T0 + timedelta(seconds=3)
    scheduled(org, at=due, accounts=[org.mastodon])
    (pk,) = _tick(django_capture_on_commit_callbacks).queued
    later = T0 + timedelta(minutes=1)
    Publication.objects.filter(pk=pk).update(next_attempt_at=later)
    broker.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.publication_send(publication_id=pk) == P.QUEUED
    assert fake.sent == [] and clock == []
    assert [(c.publication_id, c.eta) for c in broker.calls] == [(str(pk), later)]
    assert Publication.objects.get(pk=pk).attempts == 0


def test_send_never_claims_before_due_time_even_if_the_wait_is_cut_short(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    scheduled(org, at=T0 + timedelta(seconds=3), accounts=[org.mastodon])
    (pk,) = _tick(django_capture_on_commit_callbacks).queued
    monkeypatch.setattr(sending, "_sleep", lambda seconds: None)  # e.g. a clock stepped back
    assert services.publication_send(publication_id=pk) == P.QUEUED
    assert fake.sent == []
    assert Publication.objects.get(pk=pk).state == P.QUEUED  # the sweeper will hand it out


def test_tick_queues_retry_due_within_lookahead_with_eta(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    django_capture_on_commit_callbacks: Any,
) -> None:
    scheduled(org, at=T0 - timedelta(seconds=1), accounts=[org.mastodon])
    _tick(django_capture_on_commit_callbacks)
    pub = Publication.objects.get()
    retry_at = T0 + timedelta(seconds=4)
    Publication.objects.filter(pk=pub.pk).update(state=P.PENDING, next_attempt_at=retry_at)
    broker.calls.clear()
    assert _tick(django_capture_on_commit_callbacks).queued == [pub.pk]
    assert [c.eta for c in broker.calls] == [retry_at]


def test_lookahead_publication_is_sent_once_by_two_deliveries(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    django_capture_on_commit_callbacks: Any,
) -> None:
    scheduled(org, at=T0 + timedelta(seconds=3), accounts=[org.mastodon])
    (pk,) = _tick(django_capture_on_commit_callbacks).queued
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    assert services.publication_send(publication_id=pk) == P.PUBLISHED  # redelivered
    assert len(fake.sent) == 1


def test_tick_puts_each_publication_on_its_networks_queue(
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    clock: list[float],
    django_capture_on_commit_callbacks: Any,
) -> None:
    scheduled(org)
    _tick(django_capture_on_commit_callbacks)
    networks = dict(Publication.objects.values_list("pk", "account__network"))
    assert {c.queue for c in broker.calls} == {"publish.mastodon", "publish.bluesky"}
    for call in broker.calls:
        assert call.queue == f"publish.{networks[UUID(call.publication_id)]}"


def test_workers_consume_every_network_queue_by_default(settings: Any) -> None:
    names = {q.name for q in settings.CELERY_TASK_QUEUES}
    assert {"celery", "publish.mastodon", "publish.bluesky"} <= names

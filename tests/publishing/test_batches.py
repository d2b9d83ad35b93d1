"""Batches: the tick hands publications of one server and due moment to a worker together,
and the worker records their sends together (fake adapter; the real peers run batches in
tests/integration and in the fault campaign)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import SocialAccount
from accounts.services import social_account_create
from editorial.audit import verify_chain
from editorial.models import AuditEvent, Notification, Post, PostState
from publishing import services
from publishing.adapters.base import PublishError
from publishing.models import Attempt, Publication, PublicationState
from publishing.services import send_threads
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, RecordingTask, scheduled

P = PublicationState


@pytest.fixture(autouse=True)
def _clock(frozen_now: datetime) -> None:
    """Every "now" here is one frozen moment: no comparison races a busy machine."""


@pytest.fixture(autouse=True)
def _no_pacing(settings: Any) -> None:
    """Many posts of one account fall due at once here; pacing is tested in test_late_policy."""
    settings.PUBLISH_ACCOUNT_CONCURRENCY = 100


def _posts(org: Org, count: int, **kwargs: Any) -> list[Post]:
    return [scheduled(org, accounts=[org.mastodon], **kwargs) for _ in range(count)]


@pytest.fixture
def queued_batch(
    org: Org, broker: RecordingTask, django_capture_on_commit_callbacks: Any
) -> Callable[[int], list[str]]:
    """``count`` posts to one account, due now: the one batch the tick hands out."""

    def make(count: int) -> list[str]:
        broker.batches.clear()
        _posts(org, count)
        with django_capture_on_commit_callbacks(execute=True):
            services.tick()
        assert len(broker.batches) == 1
        return broker.batches[0]

    return make


def test_tick_batches_by_server_and_due_moment_up_to_the_batch_size(
    frozen_now: datetime,
    org: Org,
    fake: FakeAdapter,
    broker: RecordingTask,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PUBLISH_BATCH_SIZE = 3
    other = social_account_create(
        network=SocialAccount.Network.MASTODON,
        server_url="https://other.example",
        handle="prefecture",
        unit=org.service,
        credentials={"secret": "token"},
    )
    # The clock is frozen: on a busy machine "now + 2 s" could pass before the tick runs, and
    # those two posts would be due with the others instead of forming their own moment.
    soon = frozen_now + timedelta(seconds=2)
    _posts(org, 4)  # due now, same server: batches of 3 and 1
    _posts(org, 2, at=soon)  # same server, another moment
    scheduled(org, accounts=[other])  # due now, another server
    scheduled(org, accounts=[org.bluesky])  # another network
    with django_capture_on_commit_callbacks(execute=True):
        result = services.tick()
    assert len(result.queued) == 8
    by_id = {
        str(p.pk): (p.account.server_url, p.account.network, p.next_attempt_at)
        for p in Publication.objects.select_related("account")
    }
    assert sorted(len(b) for b in broker.batches) == [1, 1, 1, 2, 3]
    for batch in broker.batches:
        # One server, one network, one due moment (or all already due) per message.
        keys = {by_id[pk][:2] for pk in batch}
        assert len(keys) == 1
        dues = {by_id[pk][2] > frozen_now for pk in batch}
        assert len(dues) == 1
    later = next(b for b in broker.batches if len(b) == 2)
    assert {c.eta for c in broker.calls if c.publication_id in later} == {soon}
    assert {by_id[pk][2] for pk in later} == {soon}


def test_a_batch_is_published_and_recorded_with_two_statements_per_post(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
    settings: Any,
) -> None:
    settings.PUBLISH_BATCH_SIZE = 10
    small = queued_batch(2)
    with CaptureQueriesContext(connection) as two:
        states = services.publications_send(publication_ids=small)
    assert set(states.values()) == {P.PUBLISHED}
    large = queued_batch(8)
    with CaptureQueriesContext(connection) as eight:
        states = services.publications_send(publication_ids=large)
    assert set(states.values()) == {P.PUBLISHED} and len(states) == 8
    # A batch's records go together: six more posts cost their two row updates (the
    # publication's and the post's), nothing else.
    assert len(eight.captured_queries) == len(two.captured_queries) + 6 * 2
    assert len(fake.sent) == 10
    assert Post.objects.filter(state=PostState.PUBLISHED).count() == 10
    assert Attempt.objects.filter(outcome=Attempt.Outcome.PUBLISHED).count() == 10
    assert AuditEvent.objects.filter(verb="published").count() == 10
    assert verify_chain(AuditEvent.objects.order_by("seq")) is None
    # Author, and the manager who approved and scheduled: two per post.
    assert Notification.objects.filter(kind=Notification.Kind.PUBLISHED).count() == 20


def test_every_payload_is_stored_before_the_first_send_of_the_batch(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = queued_batch(3)
    stored_when_sending: list[int] = []
    run_jobs = send_threads.run_jobs

    def checking(jobs: list[Any], clock: float) -> Any:
        # The moment the send threads get the jobs, seen from the worker's own connection.
        stored_when_sending.append(
            Publication.objects.filter(pk__in=ids, payload__isnull=False).count()
        )
        return run_jobs(jobs, clock)

    monkeypatch.setattr(send_threads, "run_jobs", checking)
    services.publications_send(publication_ids=ids)
    assert stored_when_sending == [3]
    assert len(fake.sent) == 3
    stored = {str(pk): p and p["key"] for pk, p in Publication.objects.values_list("pk", "payload")}
    assert stored == {pk: pk for pk in ids}


def test_the_sends_of_a_batch_run_at_once_on_the_send_threads(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch goes out as fast as its slowest post: its sends overlap (each waits here
    until all three are in flight at once), and none runs on the worker's own thread."""
    ids = queued_batch(3)
    barrier = threading.Barrier(3, timeout=10)
    threads: set[str] = set()
    publish = fake.publish

    def together(*args: Any, **kwargs: Any) -> Any:
        threads.add(threading.current_thread().name)
        barrier.wait()  # raises BrokenBarrierError if the sends ran one after the other
        return publish(*args, **kwargs)

    monkeypatch.setattr(fake, "publish", together)
    states = services.publications_send(publication_ids=ids)
    assert set(states.values()) == {P.PUBLISHED}
    assert len(threads) == 3 and threading.current_thread().name not in threads


def test_one_failure_in_a_batch_leaves_the_others_published(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
) -> None:
    ids = queued_batch(3)
    fake.errors = [PublishError("Service unavailable", permanent=False)]
    states = services.publications_send(publication_ids=ids)
    assert sorted(states.values()) == sorted([P.PENDING, P.PUBLISHED, P.PUBLISHED])
    failed = Publication.objects.get(state=P.PENDING)
    assert failed.last_error == "Service unavailable"
    assert failed.next_attempt_at > timezone.now()
    assert Post.objects.filter(state=PostState.PUBLISHED).count() == 2
    assert failed.post.state == PostState.PUBLISHING
    outcomes = sorted(Attempt.objects.values_list("outcome", flat=True))
    assert outcomes == ["published", "published", "transient"]


def test_a_permanent_failure_in_a_batch_fails_its_post_only(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
) -> None:
    ids = queued_batch(2)
    fake.errors = [PublishError("Text too long for this instance", permanent=True)]
    services.publications_send(publication_ids=ids)
    states = sorted(Post.objects.values_list("state", flat=True))
    assert states == sorted([PostState.FAILED, PostState.PUBLISHED])
    failed = Post.objects.get(state=PostState.FAILED)
    assert "Text too long for this instance" in failed.last_error
    assert Notification.objects.filter(post=failed, kind=Notification.Kind.FAILED).exists()


def test_a_payload_that_cannot_be_built_fails_alone(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = queued_batch(3)
    prepare = fake.prepare

    def sometimes(*args: Any, idempotency_key: str, **kwargs: Any) -> Any:
        if idempotency_key == ids[1]:
            raise PublishError("Image upload refused: 413", permanent=True)
        return prepare(*args, idempotency_key=idempotency_key, **kwargs)

    monkeypatch.setattr(fake, "prepare", sometimes)
    states = services.publications_send(publication_ids=ids)
    assert states[Publication.objects.get(pk=ids[1]).pk] == P.FAILED
    assert sorted(states.values()) == sorted([P.FAILED, P.PUBLISHED, P.PUBLISHED])
    assert len(fake.sent) == 2 and ids[1] not in {s["key"] for s in fake.sent}
    assert Publication.objects.get(pk=ids[1]).payload is None


def test_a_redelivered_batch_sends_nothing_twice(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
) -> None:
    ids = queued_batch(3)
    services.publications_send(publication_ids=ids)
    again = services.publications_send(publication_ids=ids)
    assert set(again.values()) == {P.PUBLISHED}
    assert len(fake.sent) == 3
    assert Attempt.objects.count() == 3


def test_a_batch_partly_claimed_elsewhere_sends_only_its_own(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
) -> None:
    ids = queued_batch(3)
    # Another worker has the first one (its claim is recent: not stale).
    Publication.objects.filter(pk=ids[0]).update(state=P.SENDING, claimed_at=timezone.now())
    states = services.publications_send(publication_ids=ids)
    assert states[Publication.objects.get(pk=ids[0]).pk] == P.SENDING
    assert len(fake.sent) == 2 and ids[0] not in {s["key"] for s in fake.sent}


def test_a_tick_starts_a_burst_of_posts_with_one_statement_per_post(
    org: Org, fake: FakeAdapter, broker: RecordingTask
) -> None:
    def tick_queries(count: int) -> int:
        _posts(org, count)
        with CaptureQueriesContext(connection) as captured:
            result = services.tick()
        assert result.started_posts == count and len(result.queued) == count
        return len(captured.captured_queries)

    two, eight = tick_queries(2), tick_queries(8)
    # Six more posts cost their state updates only: one audit append, one insert of the
    # publications and one queueing update serve the whole tick.
    assert eight == two + 6
    assert Publication.objects.filter(state=P.QUEUED).count() == 10
    assert AuditEvent.objects.filter(verb="publishing").count() == 10
    assert verify_chain(AuditEvent.objects.order_by("seq")) is None


def test_a_batch_past_its_time_budget_hands_the_rest_back_unsent(
    org: Org,
    fake: FakeAdapter,
    queued_batch: Callable[[int], list[str]],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A batch never runs into the stale-claim limit: a send that would start after the
    budget (the send threads were busy) does not start; it goes back to pending, unsent
    and without an attempt. The batch's first send always goes."""
    ids = queued_batch(3)
    readings = iter([1000.0])  # the batch's start; every later reading is past the budget
    monkeypatch.setattr(
        send_threads, "monotonic", lambda: next(readings, 1000.0 + send_threads.batch_budget() + 1)
    )
    states = services.publications_send(publication_ids=ids)
    publications = [Publication.objects.get(pk=pk) for pk in ids]
    sent = [p for p in publications if states[p.pk] == P.PUBLISHED]
    rest = [p for p in publications if states[p.pk] != P.PUBLISHED]
    assert len(sent) == 1 and len(rest) == 2
    assert [(p.state, p.attempts, p.attempt_log.count()) for p in rest] == [
        (P.PENDING, 0, 0),
        (P.PENDING, 0, 0),
    ]
    assert [s["key"] for s in fake.sent] == [str(sent[0].pk)]
    # Their payloads were stored before the first send: the next attempt sends exactly those.
    assert all(p.payload is not None for p in rest)
    monkeypatch.setattr(send_threads, "monotonic", lambda: 0.0)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.tick()
    assert sorted(map(str, result.queued)) == sorted(str(p.pk) for p in rest)
    services.publications_send(publication_ids=[str(p.pk) for p in rest])
    assert Publication.objects.filter(state=P.PUBLISHED).count() == 3
    assert sorted(s["n"] for s in fake.sent) == [1, 2, 3]  # the stored payloads, built once

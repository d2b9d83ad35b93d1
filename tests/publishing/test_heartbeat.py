"""A dead worker does not stall an account: its claims stop holding the account's concurrency
once it has not beaten for PUBLISH_WORKER_DEAD_SECONDS, they are reclaimed then (not after
PUBLISH_SENDING_STALE_SECONDS) and looked up before any resend, and what is overdue goes out
first due first. The clock is frozen and moved: nothing here depends on the machine's speed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from publishing import services
from publishing.adapters.base import Credentials, OutgoingPost, PreparedPayload, PublishedRef
from publishing.models import Attempt, Publication, PublicationState, WorkerHeartbeat
from publishing.services import heartbeat
from publishing.services.pacing import Pacer
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

P = PublicationState
DEAD = 30


class WorkerKilled(BaseException):
    """The worker process dies mid-send: nothing after the request runs (not an Exception:
    no handler of ours may catch it, as none runs after a SIGKILL)."""


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.PUBLISH_WORKER_DEAD_SECONDS = DEAD
    settings.PUBLISH_SENDING_STALE_SECONDS = 300
    settings.PUBLISH_ACCOUNT_CONCURRENCY = 2
    settings.PUBLISH_LOOKAHEAD_SECONDS = 0
    settings.PUBLISH_LATE_AFTER_MINUTES = 30
    settings.PUBLISH_BACKLOG_GRACE_SECONDS = 60


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def as_worker(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Claims made from now on are this worker's (one test process plays several)."""

    def use(name: str) -> None:
        monkeypatch.setattr(heartbeat, "worker_id", lambda: name)

    return use


@pytest.fixture
def dying(fake: FakeAdapter, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``dying[0]`` sends from now on reach the server, then the worker dies."""
    left = [0]
    real = fake.publish

    def publish(
        credentials: Credentials, payload: PreparedPayload, post: OutgoingPost
    ) -> PublishedRef:
        ref = real(credentials, payload, post)
        if left[0]:
            left[0] -= 1
            raise WorkerKilled
        return ref

    monkeypatch.setattr(fake, "publish", publish)
    return left


def _tick(capture: Any) -> services.TickResult:
    with capture(execute=False):
        return services.tick()


def _killed_while_sending(pk: Any, dying: list[int]) -> None:
    dying[0] = 1
    with pytest.raises(WorkerKilled):
        services.publication_send(publication_id=pk)


def _four_due_in_order(org: Org, start: datetime) -> list[Any]:
    """Four posts on one account, due one second apart from ``start``; their publications."""
    posts = [
        scheduled(org, at=start + timedelta(seconds=n), accounts=[org.mastodon]) for n in range(4)
    ]
    return [post.pk for post in posts]


def test_claim_names_its_worker_and_beats_for_it(
    org: Org,
    fake: FakeAdapter,
    clock: Any,
    as_worker: Callable[[str], None],
    dying: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    as_worker("host:1:aa")
    scheduled(org, accounts=[org.mastodon])
    (pk,) = _tick(django_capture_on_commit_callbacks).queued

    _killed_while_sending(pk, dying)

    publication = Publication.objects.get(pk=pk)
    assert (publication.state, publication.claimed_by) == (P.SENDING, "host:1:aa")
    assert WorkerHeartbeat.objects.get(pk="host:1:aa").beat_at == publication.claimed_at


def test_pacer_does_not_count_a_dead_workers_claims(
    org: Org,
    fake: FakeAdapter,
    clock: Any,
    as_worker: Callable[[str], None],
    dying: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    for _ in range(3):
        scheduled(org, accounts=[org.mastodon])
    first, second = _tick(django_capture_on_commit_callbacks).queued
    as_worker("dead")
    _killed_while_sending(first, dying)
    as_worker("alive")
    _killed_while_sending(second, dying)
    clock.shift(DEAD + 1)
    heartbeat.worker_heartbeat_record(worker="alive", now=timezone.now())  # its thread beats

    candidates = list(Publication.objects.filter(state=P.PENDING).select_related("account"))
    pacer = Pacer.for_candidates(timezone.now(), candidates)

    assert pacer.in_flight == {org.mastodon.pk: 1}
    assert [pacer.verdict(p) for p in candidates] == ["go"]


def test_live_worker_keeps_its_claims_past_the_dead_threshold(
    org: Org,
    fake: FakeAdapter,
    clock: Any,
    as_worker: Callable[[str], None],
    dying: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A long send of a worker whose thread keeps beating is not taken from it."""
    for _ in range(3):
        scheduled(org, accounts=[org.mastodon])
    as_worker("slow")
    for pk in _tick(django_capture_on_commit_callbacks).queued:
        _killed_while_sending(pk, dying)  # stands for a send still in flight
    for _ in range(3):
        clock.shift(DEAD - 5)
        heartbeat.worker_heartbeat_record(worker="slow", now=timezone.now())

        result = _tick(django_capture_on_commit_callbacks)

        assert (result.reclaimed, result.queued) == (0, [])
    assert Publication.objects.filter(state=P.SENDING).count() == 2


def test_dead_workers_claim_reclaimed_after_the_threshold_and_looked_up_not_resent(
    org: Org,
    fake: FakeAdapter,
    clock: Any,
    as_worker: Callable[[str], None],
    dying: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    scheduled(org, accounts=[org.mastodon])
    as_worker("dead")
    (pk,) = _tick(django_capture_on_commit_callbacks).queued
    _killed_while_sending(pk, dying)  # the server has the post; its answer died with us

    clock.shift(DEAD - 1)
    assert _tick(django_capture_on_commit_callbacks).reclaimed == 0
    clock.shift(2)
    result = _tick(django_capture_on_commit_callbacks)
    assert (result.reclaimed, result.queued) == (1, [pk])
    as_worker("alive")
    assert services.publication_send(publication_id=pk) == P.PUBLISHED

    assert len(fake.sent) == 1  # found by the lookup, never sent twice
    outcomes = list(Attempt.objects.filter(publication_id=pk).values_list("outcome", flat=True))
    assert outcomes == [Attempt.Outcome.UNKNOWN, Attempt.Outcome.PUBLISHED]
    assert Attempt.objects.get(publication_id=pk, number=2).found_by_lookup


def test_overdue_publications_go_in_due_order_after_a_dead_worker(
    org: Org,
    fake: FakeAdapter,
    clock: Any,
    as_worker: Callable[[str], None],
    dying: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The two first due were held by the dead worker: they still go before the later two."""
    start = timezone.now() + timedelta(minutes=1)
    posts = _four_due_in_order(org, start)
    clock.move_to(start + timedelta(seconds=3))
    as_worker("dead")
    queued = _tick(django_capture_on_commit_callbacks).queued
    by_post = dict(Publication.objects.values_list("post_id", "pk"))
    assert queued == [by_post[p] for p in posts[:2]]
    for pk in queued:
        _killed_while_sending(pk, dying)

    clock.shift(5)
    assert _tick(django_capture_on_commit_callbacks).queued == []  # both slots still held
    clock.shift(DEAD)
    as_worker("alive")
    again = _tick(django_capture_on_commit_callbacks).queued
    for pk in again:
        services.publication_send(publication_id=pk)
    rest = _tick(django_capture_on_commit_callbacks).queued
    for pk in rest:
        services.publication_send(publication_id=pk)

    assert again == [by_post[p] for p in posts[:2]]
    assert rest == [by_post[p] for p in posts[2:]]
    assert fake.lookups == [fake.sent[0]["key"], fake.sent[1]["key"]]
    assert set(Publication.objects.values_list("state", flat=True)) == {P.PUBLISHED}


def test_worker_process_starts_one_beat_thread_at_its_first_claim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a Celery worker (enabled by its start signal): one thread per process, beating for
    the process's own id."""
    import threading

    beating: list[str] = []
    done = threading.Event()

    def beat(worker: str) -> None:
        beating.append(worker)
        done.set()

    monkeypatch.setattr(heartbeat, "_beat_forever", beat)
    monkeypatch.setattr(heartbeat, "_threads", {})
    monkeypatch.setattr(heartbeat, "_enabled", [False])
    heartbeat.ensure_beating()
    assert heartbeat._threads == {}  # not a worker: the claims beat, no thread

    heartbeat.enable()
    heartbeat.ensure_beating()
    heartbeat.ensure_beating()

    assert done.wait(10)
    assert len(heartbeat._threads) == 1
    assert beating == [heartbeat.worker_id()]

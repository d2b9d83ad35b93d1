"""A worker killed with two sends in flight does not stall its account (issue #11, part 7).

Two real Celery workers and a separate beat; one account at concurrency 2. The two first-due
posts go to one worker as one batch, their requests held by the Mastodon peer; that worker is
SIGKILLed. Its heartbeat stops, so its claims stop holding the account's two slots once it has
not beaten for PUBLISH_WORKER_DEAD_SECONDS and are reclaimed then (the stale-claim limit,
PUBLISH_SENDING_STALE_SECONDS, is left at 300 s and never reached); the surviving worker sends
them first, then the later posts. Asserted on order and on the records, not on speed: the
wait below only bounds a failure."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from mastodon import Mastodon

from accounts.models import Membership, SocialAccount
from accounts.services import membership_create, social_account_create
from bench.campaign import CeleryProcess, celery_processes, worker_env
from editorial import services as editorial
from editorial.models import PostState
from publishing.models import Attempt, Publication, PublicationState
from tests.factories import make_unit, make_user
from tests.integration.worker import _database_url

pytestmark = pytest.mark.django_db(transaction=True)

P = PublicationState
DEAD = 10
STALE = 300


def _account(mastodon_peer: Any) -> tuple[dict[str, Any], str]:
    unit = make_unit(name="Service communication", code="sicom")
    officer = make_user(username="officer", first_name="Jeanne", last_name="Dupont")
    manager = make_user(username="manager", first_name="Marc", last_name="Leroy")
    username = f"pv{secrets.token_hex(4)}"
    token = mastodon_peer.create_token(username)
    account = social_account_create(
        network=SocialAccount.Network.MASTODON,
        server_url=mastodon_peer.url,
        handle=username,
        unit=unit,
        credentials={"secret": token},
    )
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=unit, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=unit, role=Membership.Role.PUBLISHER)
    return {"officer": officer, "manager": manager, "account": account}, token


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def processes(tmp_path: Path) -> Any:
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL is not set: run the end-to-end tests through `make test`.")
    env = {
        **worker_env(database_url=_database_url(), redis_url=os.environ["REDIS_URL"]),
        # The held requests must stay in flight until the kill: no client timeout meanwhile.
        "PUBLISH_REQUEST_TIMEOUT": "60",
        "PUBLISH_SENDING_STALE_SECONDS": str(STALE),
        "PUBLISH_WORKER_HEARTBEAT_SECONDS": "2",
        "PUBLISH_WORKER_DEAD_SECONDS": str(DEAD),
        "PUBLISH_ACCOUNT_CONCURRENCY": "2",
    }
    workers, beat = celery_processes(env, tmp_path, workers=2, concurrency=2)
    started: list[CeleryProcess] = []
    try:
        for process in [*workers, beat]:
            process.start()
            started.append(process)
        yield workers
    finally:
        for process in started:
            process.stop()
        for process in started:
            print(f"--- {process.name}\n{process.tail()}")  # shown by pytest on failure


def test_killed_worker_with_two_sends_in_flight_does_not_stall_the_account(
    mastodon_peer: Any, processes: list[CeleryProcess]
) -> None:
    ctx, token = _account(mastodon_peer)
    run = secrets.token_hex(3)
    posts = []
    for n in range(4):
        post = editorial.post_create(
            by=ctx["officer"],
            accounts=[ctx["account"]],
            text=f"Message {run}n{n}: le guichet unique ouvre lundi.",
            language="fr",
        )
        editorial.post_submit(post=post, by=ctx["officer"])
        editorial.post_approve(post=post, by=ctx["manager"])
        posts.append(post)
    # The first two due at one moment (one batch, one worker), the other two a second later.
    # Real worker processes run on the wall clock: 10 s leaves the four schedules done before
    # the first is due even on a busy machine (the assertions are about order, not time).
    t0 = timezone.now() + timedelta(seconds=10)
    # The peer holds the first two status requests far longer than the test lasts.
    mastodon_peer.add_fault(
        {
            "match": {"path": "/api/v1/statuses", "methods": ["POST"]},
            "effect": {"type": "latency", "delay_ms": 200_000},
            "count": 2,
        }
    )
    try:
        for n, post in enumerate(posts):
            at = t0 + timedelta(seconds=0 if n < 2 else 1)
            editorial.post_schedule(post=post, by=ctx["manager"], at=at)

        first = Publication.objects.filter(post__in=posts[:2])
        _wait(
            lambda: first.filter(state=P.SENDING).exclude(claimed_by="").count() == 2,
            60,
            "the first two publications to be claimed",
        )
        claims = set(first.values_list("claimed_by", flat=True))
        assert len(claims) == 1  # one batch, one worker
        pid = int(claims.pop().split(":")[1])
        time.sleep(0.5)  # inside the held requests
        os.kill(pid, signal.SIGKILL)  # a process this test started

        _wait(
            lambda: all(p.state in (PostState.PUBLISHED, PostState.FAILED) for p in _fresh(posts)),
            STALE - 60,
            "every post to end",
        )
    finally:
        with contextlib.suppress(Exception):
            mastodon_peer.clear_faults()

    assert [p.state for p in _fresh(posts)] == [PostState.PUBLISHED] * 4
    publications = {
        p.post_id: p for p in Publication.objects.filter(post__in=posts).order_by("due_at")
    }
    held = [publications[p.pk] for p in posts[:2]]
    later = [publications[p.pk] for p in posts[2:]]
    for publication in held:
        killed = Attempt.objects.get(publication=publication, number=1)
        assert killed.outcome == Attempt.Outcome.UNKNOWN  # reclaimed, looked up before resend
        resent = Attempt.objects.get(publication=publication, number=2)
        # Reclaimed through the heartbeat, not by the stale-claim limit.
        assert resent.started_at - killed.started_at < timedelta(seconds=STALE)
    # Due order: the reclaimed first-due posts went out before the later ones were started.
    first_out = min(_acknowledged(p) for p in held)
    for publication in later:
        started = Attempt.objects.filter(publication=publication).earliest("number").started_at
        assert started >= first_out
    # On the server: each post exactly once.
    api = Mastodon(access_token=token, api_base_url=mastodon_peer.url)
    me = api.account_verify_credentials()
    texts = [s["content"] for s in api.account_statuses(me["id"], limit=40)]
    for n in range(4):
        assert sum(bool(re.search(rf"\b{run}n{n}\b", t)) for t in texts) == 1


def _fresh(posts: list[Any]) -> list[Any]:
    for post in posts:
        post.refresh_from_db()
    return posts


def _acknowledged(publication: Publication) -> Any:
    attempt = Attempt.objects.get(publication=publication, outcome=Attempt.Outcome.PUBLISHED)
    return attempt.acknowledged_at

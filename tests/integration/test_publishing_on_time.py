"""On time with a real worker and beat: posts scheduled a few seconds ahead are started early
by the lookahead, held by the worker until their time, and never sent before it."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from editorial import services as editorial
from editorial.models import PostState
from publishing.models import Attempt
from tests.integration.test_end_to_end import _connect as _connect_shared
from tests.integration.worker import celery_worker_process  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _connect(bluesky_peer: Any, mastodon_peer: Any) -> dict[str, Any]:
    """``test_end_to_end._connect`` with a Mastodon user of this test's own: the peer lives
    for the session, and other tests count the statuses of the shared "ministere" user."""
    ctx = _connect_shared(bluesky_peer, mastodon_peer)
    username = f"pv{secrets.token_hex(4)}"
    ctx["token"] = mastodon_peer.create_token(username)
    account = ctx["mastodon"]
    account.handle = username
    account.set_credentials({"secret": ctx["token"]})
    account.save()
    return ctx


def test_publishing_lookahead_sends_at_due_time_never_before(
    bluesky_peer: Any,
    mastodon_peer: Any,
    celery_worker_process: Any,  # noqa: F811
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    posts = []
    for n, seconds in enumerate((3, 4)):
        post = editorial.post_create(
            by=ctx["officer"],
            accounts=[ctx["mastodon"], ctx["bluesky"]],
            text=f"À l'heure dite, message {n}.",
            language="fr",
        )
        editorial.post_submit(post=post, by=ctx["officer"])
        editorial.post_approve(post=post, by=ctx["manager"])
        editorial.post_schedule(
            post=post, by=ctx["manager"], at=timezone.now() + timedelta(seconds=seconds)
        )
        posts.append(post)

    # A bound on the wait, not a speed goal: generous so that a busy machine passes.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        for post in posts:
            post.refresh_from_db()
        if {p.state for p in posts} <= {PostState.PUBLISHED, PostState.FAILED}:
            break
        time.sleep(0.2)
    assert {p.state for p in posts} == {PostState.PUBLISHED}, [p.last_error for p in posts]

    attempts = list(Attempt.objects.select_related("publication"))
    assert len(attempts) == 4
    for attempt in attempts:
        due = attempt.publication.due_at
        assert attempt.acknowledged_at is not None
        assert attempt.started_at >= due  # never early
        assert attempt.acknowledged_at >= attempt.started_at
    # How late they went out depends on this machine's load, so no test asserts it:
    # bench/publish_lateness.py measures lateness (docs/benchmarks.md has the figures).

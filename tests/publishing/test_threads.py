"""Threads: each part its own idempotent publication, sent in order, replying to the part
before; a crash or a failure mid-thread resumes at the missing part."""

from __future__ import annotations

from typing import Any

import pytest

from editorial import services as editorial
from editorial.models import Post, PostState
from publishing import services
from publishing.adapters.base import PublishError
from publishing.models import Publication, PublicationState
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter

P = PublicationState
PARTS = ["Premier message du fil.", "Deuxième partie.", "Troisième et dernière partie."]


@pytest.fixture(autouse=True)
def _roomy(settings: Any) -> None:
    settings.PUBLISH_ACCOUNT_CONCURRENCY = 10


def _thread(org: Org, accounts: Any = None) -> Post:
    post = editorial.post_create(
        by=org.officer,
        accounts=accounts if accounts is not None else [org.mastodon],
        text=PARTS[0],
        thread=PARTS[1:],
    )
    editorial.post_submit(post=post, by=org.officer)
    editorial.post_approve(post=post, by=org.manager)
    editorial.post_schedule(post=post, by=org.manager)
    post.refresh_from_db()
    return post


def _run(capture: Any, rounds: int = 6) -> None:
    """Ticks and sends until nothing is left to queue (a worker draining the queue)."""
    for _ in range(rounds):
        with capture(execute=False):
            queued = services.tick().queued
        for pk in queued:
            services.publication_send(publication_id=pk)


def test_thread_has_one_publication_per_part_only_the_first_pending(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _thread(org)
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.tick().queued

    publications = list(Publication.objects.filter(post=post).order_by("part"))
    assert [p.state for p in publications] == [P.QUEUED, P.WAITING, P.WAITING]
    assert queued == [publications[0].pk]
    assert [p.text for p in publications[:2]] == PARTS[:2]
    assert publications[2].text == PARTS[2] + "\n\n— SICOM ^JD"  # the byline in the last part
    assert [p.byline for p in publications] == ["", "", "— SICOM ^JD"]


def test_thread_parts_reply_to_the_part_before_and_to_the_first(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _thread(org)
    _run(django_capture_on_commit_callbacks)

    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    ids = list(
        Publication.objects.filter(post=post).order_by("part").values_list("remote_id", flat=True)
    )
    assert fake.replies[0] is None
    assert [(r.root_id, r.parent_id) for r in fake.replies[1:]] == [
        (ids[0], ids[0]),
        (ids[0], ids[1]),
    ]
    assert len(post.remote_links) == 3


def test_thread_crash_mid_thread_resumes_at_the_missing_part(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _thread(org)
    _run(django_capture_on_commit_callbacks, rounds=1)  # part 1 published, part 2 released
    fake.lost_answers = 1  # part 2 reaches the server, its answer is lost
    _run(django_capture_on_commit_callbacks, rounds=1)
    second = Publication.objects.get(post=post, part=1)
    assert second.state == P.PENDING  # unknown outcome: retried later, looked up first

    second.next_attempt_at = second.created_at
    second.save(update_fields=["next_attempt_at"])
    _run(django_capture_on_commit_callbacks)

    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    # Part 1 sent once, part 2 found by the lookup (not sent twice), part 3 once.
    keys = [s["key"] for s in fake.sent]
    assert keys.count(str(Publication.objects.get(post=post, part=0).pk)) == 1
    assert keys.count(str(second.pk)) == 1
    assert len(fake.remote) == 3


def test_thread_part_failing_for_good_takes_the_later_parts_along(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _thread(org)
    _run(django_capture_on_commit_callbacks, rounds=1)
    fake.errors = [PublishError("422 Text too long", permanent=True)]
    _run(django_capture_on_commit_callbacks)

    states = list(
        Publication.objects.filter(post=post).order_by("part").values_list("state", "last_error")
    )
    assert [s for s, _e in states] == [P.PUBLISHED, P.FAILED, P.FAILED]
    assert "part 2 of the thread failed" in states[2][1]
    post.refresh_from_db()
    assert post.state == PostState.FAILED

    editorial.post_retry(post=post, by=org.manager)
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()
    states_after = list(
        Publication.objects.filter(post=post).order_by("part").values_list("state", flat=True)
    )
    assert states_after == [P.PUBLISHED, P.QUEUED, P.WAITING]


def test_thread_on_two_accounts_runs_two_independent_chains(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _thread(org, accounts=[org.mastodon, org.bluesky])
    _run(django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert Publication.objects.filter(post=post, state=P.PUBLISHED).count() == 6

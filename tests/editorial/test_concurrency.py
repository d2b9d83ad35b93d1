"""Two people acting on one post at the same instant, on PostgreSQL's real row locks.

The test holds the post's row lock itself, starts both writers, waits until PostgreSQL shows
both of them blocked on that lock, then lets go: the two services really run at once. One
wins; the other gets a refusal that says what happened; nothing written is lost.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import translation

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services
from editorial.models import Approval, Post, PostState
from tests.conftest import Org
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        # make test (and CI) always run on PostgreSQL: there, a missing server is a failure.
        if os.environ.get("CI"):
            pytest.fail("The concurrency tests need PostgreSQL (DATABASE_URL).")
        pytest.skip("SQLite serialises writers: run through make test for PostgreSQL.")


def _waiting_on_locks() -> int:
    with connections["default"].cursor() as cursor:
        # Inside a transaction the activity view is a snapshot taken once: refresh it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _race(post: Post, *actions: Callable[[], Any]) -> list[Any]:
    """Run the actions at once, each in its own thread and connection; return each outcome
    (the service's result or the exception it raised)."""
    outcomes: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            with translation.override("en"):  # the active language is per thread
                outcomes[index] = action()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    with transaction.atomic():
        Post.objects.select_for_update().get(pk=post.pk)  # everyone queues behind us
        for thread in threads:
            thread.start()
        # A bound on the wait for a condition, generous for a busy machine (not a speed goal).
        deadline = time.monotonic() + 120
        while _waiting_on_locks() < len(actions):
            assert time.monotonic() < deadline, f"the writers never reached the lock: {outcomes}"
            time.sleep(0.02)
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.fixture
def second_reviewer(org: Org) -> Any:
    reviewer = make_user(username="reviewer2", first_name="Paul", last_name="Martin")
    membership_create(user=reviewer, unit=org.service, role=Membership.Role.REVIEWER)
    return reviewer


def _in_review(org: Org) -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Version 1.")
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    return post


def test_concurrent_approvals_one_wins_the_other_is_told(org: Org, second_reviewer: Any) -> None:
    post = _in_review(org)

    outcomes = _race(
        post,
        lambda: services.post_approve(post=post, by=org.manager, revision=1),
        lambda: services.post_approve(post=post, by=second_reviewer, revision=1),
    )

    approvals = [o for o in outcomes if isinstance(o, Approval)]
    refusals = [o for o in outcomes if isinstance(o, services.TransitionRefused)]
    assert len(approvals) == 1 and len(refusals) == 1, outcomes
    assert "while it is Approved" in refusals[0].message
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    assert Approval.objects.filter(post=post).count() == 1
    assert post.events.filter(verb="approved").count() == 1


def test_concurrent_edits_one_revision_wins_the_other_gets_a_conflict(org: Org) -> None:
    post = _in_review(org)

    def edit(text: str) -> Any:
        return services.post_update(
            post=post, by=org.officer, base_revision=1, text=text, language="fr"
        )

    outcomes = _race(post, lambda: edit("Version de l'onglet A."), lambda: edit("Version B."))

    saved = [o for o in outcomes if not isinstance(o, Exception)]
    conflicts = [o for o in outcomes if isinstance(o, services.EditConflict)]
    assert len(saved) == 1 and len(conflicts) == 1, outcomes
    assert conflicts[0].current_revision == 2
    assert "saved revision 2 while you were editing revision 1" in conflicts[0].message
    post.refresh_from_db()
    assert post.current_revision is not None
    assert post.current_revision.number == 2
    assert post.current_revision.text == saved[0].text
    assert post.revisions.count() == 2  # the first version is kept too


def test_concurrent_approval_and_edit_never_approve_unseen_content(org: Org) -> None:
    post = _in_review(org)

    outcomes = _race(
        post,
        lambda: services.post_approve(post=post, by=org.manager, revision=1),
        lambda: services.post_update(
            post=post, by=org.officer, base_revision=1, text="Version 2.", language="fr"
        ),
    )

    assert not isinstance(outcomes[1], Exception), outcomes  # the author's edit always lands
    post.refresh_from_db()
    assert post.current_revision is not None and post.current_revision.number == 2
    # Whichever went first, revision 2 is in review and nobody has approved it.
    assert post.state == PostState.IN_REVIEW
    assert not Approval.objects.filter(revision=post.current_revision).exists()
    if isinstance(outcomes[0], Exception):  # the edit went first: the approval is refused
        assert isinstance(outcomes[0], services.TransitionRefused), outcomes
        assert "saved revision 2 after you opened revision 1" in outcomes[0].message

"""The transition kernel (editorial.workflow) and the due-post claim the publisher calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import transaction

from editorial import services, workflow
from editorial.models import AuditEvent, Post, PostState
from tests.conftest import Org

S = PostState
NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def _draft(org: Org) -> Post:
    return services.post_create(by=org.officer, accounts=[org.mastodon], text="Réunion jeudi.")


def _scheduled(org: Org, *, at: datetime) -> Post:
    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=at)
    post.refresh_from_db()
    return post


def test_transition_saves_the_state_and_audits_the_move(org: Org) -> None:
    post = _draft(org)
    with transaction.atomic():
        locked = workflow.lock_post(post.pk)
        event = workflow.transition(
            locked, locked.withdraw, by=org.officer, verb="withdrawn", action="withdraw", why="x"
        )

    post.refresh_from_db()
    assert post.state == S.WITHDRAWN
    assert (event.verb, event.from_state, event.to_state) == ("withdrawn", S.DRAFT, S.WITHDRAWN)
    assert event.actor == org.officer
    assert event.data == {"why": "x"}


def test_transition_refuses_the_wrong_state_in_words_and_records_nothing(org: Org) -> None:
    post = _draft(org)
    before = AuditEvent.objects.count()
    refused = pytest.raises(workflow.TransitionRefused, match=r"Cannot retract post #\d+ while")
    with refused, transaction.atomic():
        locked = workflow.lock_post(post.pk)
        workflow.transition(
            locked, locked.retract, by=org.manager, verb="retracted", action="retract"
        )

    post.refresh_from_db()
    assert post.state == S.DRAFT
    assert AuditEvent.objects.count() == before


def test_transition_refuses_who_may_not(org: Org) -> None:
    post = _draft(org)
    with pytest.raises(PermissionDenied, match="not allowed to submit"), transaction.atomic():
        locked = workflow.lock_post(post.pk)
        workflow.transition(
            locked, locked.submit, by=org.manager, verb="submitted", action="submit"
        )
    post.refresh_from_db()
    assert post.state == S.DRAFT


def test_transition_refuses_a_method_of_another_post(org: Org) -> None:
    first, second = _draft(org), _draft(org)
    with pytest.raises(ValueError, match="bound to the post"), transaction.atomic():
        workflow.transition(
            first, second.withdraw, by=org.officer, verb="withdrawn", action="withdraw"
        )
    second.refresh_from_db()
    assert second.state == S.DRAFT


def test_posts_claim_due_starts_only_what_is_due(org: Org) -> None:
    with time_machine.travel(NOW, tick=False):
        due = _scheduled(org, at=NOW + timedelta(minutes=5))
        later = _scheduled(org, at=NOW + timedelta(hours=2))
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False), transaction.atomic():
        started = services.posts_claim_due(horizon=NOW + timedelta(minutes=10), limit=10)

    assert [p.pk for p in started] == [due.pk]
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.state, later.state) == (S.PUBLISHING, S.SCHEDULED)
    event = due.events.last()
    assert event is not None and event.verb == "publishing"
    assert event.actor is None and event.on_behalf_of == org.manager


def test_posts_claim_due_passes_over_a_frozen_post(org: Org) -> None:
    with time_machine.travel(NOW, tick=False):
        post = _scheduled(org, at=NOW + timedelta(minutes=5))
        services.freeze_create(account=org.mastodon, reason="Cellule de crise.", by=org.manager)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False), transaction.atomic():
        started = services.posts_claim_due(horizon=NOW + timedelta(minutes=10), limit=10)

    assert started == []
    post.refresh_from_db()
    assert post.state == S.SCHEDULED


@pytest.mark.django_db(transaction=True)
def test_transition_refuses_to_run_outside_a_transaction(org: Org) -> None:
    post = _draft(org)
    with pytest.raises(RuntimeError, match="lock_post"):
        workflow.transition(post, post.withdraw, by=org.officer, verb="withdrawn", action="x")
    post.refresh_from_db()
    assert post.state == S.DRAFT


@pytest.mark.django_db(transaction=True)
def test_posts_claim_due_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="caller's commit"):
        services.posts_claim_due(horizon=NOW, limit=10)

"""The state machine table, checked without a database."""

from __future__ import annotations

import pytest
from django_fsm import TransitionNotAllowed

from editorial.models import Post, PostState

S = PostState
EXPECTED = {
    ("submit", S.DRAFT, S.IN_REVIEW),
    ("submit", S.CHANGES_REQUESTED, S.IN_REVIEW),
    ("approve", S.IN_REVIEW, S.APPROVED),
    ("approve_step", S.IN_REVIEW, S.IN_REVIEW),
    ("consultations_cleared", S.IN_REVIEW, S.APPROVED),
    ("request_changes", S.IN_REVIEW, S.CHANGES_REQUESTED),
    ("reopen", S.IN_REVIEW, S.IN_REVIEW),
    ("reopen", S.APPROVED, S.IN_REVIEW),
    ("reopen", S.SCHEDULED, S.IN_REVIEW),
    ("withdraw", S.IN_REVIEW, S.DRAFT),
    ("withdraw", S.APPROVED, S.DRAFT),
    ("withdraw", S.SCHEDULED, S.DRAFT),
    ("schedule", S.APPROVED, S.SCHEDULED),
    ("start_publishing", S.SCHEDULED, S.PUBLISHING),
    ("mark_published", S.PUBLISHING, S.PUBLISHED),
    ("mark_failed", S.PUBLISHING, S.FAILED),
    ("retry", S.FAILED, S.SCHEDULED),
}


def _declared() -> set[tuple[str, str, str]]:
    field = Post._meta.get_field("state")
    return {(t.name, t.source, t.target) for t in field.get_all_transitions(Post)}


def test_state_machine_declares_exactly_the_table() -> None:
    assert _declared() == {(n, str(s), str(t)) for n, s, t in EXPECTED}


def test_state_machine_published_is_final() -> None:
    assert not [t for t in _declared() if t[1] == S.PUBLISHED]


def test_state_machine_draft_cannot_be_approved() -> None:
    post = Post()
    with pytest.raises(TransitionNotAllowed):
        post.approve()


def test_state_machine_draft_cannot_be_scheduled() -> None:
    post = Post()
    with pytest.raises(TransitionNotAllowed):
        post.schedule()


def test_state_machine_state_is_protected() -> None:
    post = Post()
    with pytest.raises(AttributeError):
        post.state = S.PUBLISHED

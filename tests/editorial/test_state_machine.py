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
    ("approve_urgently", S.IN_REVIEW, S.APPROVED),
    ("consultations_cleared", S.IN_REVIEW, S.APPROVED),
    ("request_changes", S.IN_REVIEW, S.CHANGES_REQUESTED),
    ("reopen", S.IN_REVIEW, S.IN_REVIEW),
    ("reopen", S.APPROVED, S.IN_REVIEW),
    ("reopen", S.SCHEDULED, S.IN_REVIEW),
    ("reopen", S.HELD, S.IN_REVIEW),
    ("return_to_draft", S.IN_REVIEW, S.DRAFT),
    ("return_to_draft", S.APPROVED, S.DRAFT),
    ("return_to_draft", S.SCHEDULED, S.DRAFT),
    ("return_to_draft", S.HELD, S.DRAFT),
    ("withdraw", S.DRAFT, S.WITHDRAWN),
    ("withdraw", S.IN_REVIEW, S.WITHDRAWN),
    ("withdraw", S.CHANGES_REQUESTED, S.WITHDRAWN),
    ("withdraw", S.APPROVED, S.WITHDRAWN),
    ("withdraw", S.SCHEDULED, S.WITHDRAWN),
    ("withdraw", S.HELD, S.WITHDRAWN),
    ("withdraw", S.FAILED, S.WITHDRAWN),
    ("retract", S.PUBLISHED, S.RETRACTED),
    ("retract", S.FAILED, S.RETRACTED),
    ("schedule", S.APPROVED, S.SCHEDULED),
    ("schedule", S.HELD, S.SCHEDULED),
    ("schedule", S.SCHEDULED, S.SCHEDULED),
    ("reopen_for_new_time", S.APPROVED, S.IN_REVIEW),
    ("reopen_for_new_time", S.SCHEDULED, S.IN_REVIEW),
    ("reopen_for_new_time", S.HELD, S.IN_REVIEW),
    ("hold", S.SCHEDULED, S.HELD),
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


def test_state_machine_published_only_leads_to_retracted() -> None:
    assert {t[2] for t in _declared() if t[1] == S.PUBLISHED} == {S.RETRACTED}


@pytest.mark.parametrize("final", [S.WITHDRAWN, S.RETRACTED])
def test_state_machine_withdrawn_and_retracted_are_final(final: PostState) -> None:
    assert not [t for t in _declared() if t[1] == final]


REFUSED = [
    (name, state)
    for name in sorted({n for n, _s, _t in EXPECTED})
    for state in S
    if not any(n == name and s == state for n, s, _t in EXPECTED)
]


@pytest.mark.parametrize(("name", "state"), REFUSED)
def test_state_machine_refuses_every_move_outside_the_table(name: str, state: PostState) -> None:
    post = Post()
    # Set the state as a row loaded from the database would (the field is protected).
    post.__dict__["state"] = state
    with pytest.raises(TransitionNotAllowed):
        getattr(post, name)()


def test_state_machine_draft_cannot_be_approved() -> None:
    post = Post()
    with pytest.raises(TransitionNotAllowed):
        post.approve()


def test_state_machine_draft_cannot_be_approved_urgently() -> None:
    post = Post()
    with pytest.raises(TransitionNotAllowed):
        post.approve_urgently()


def test_state_machine_draft_cannot_be_scheduled() -> None:
    post = Post()
    with pytest.raises(TransitionNotAllowed):
        post.schedule()


def test_state_machine_state_is_protected() -> None:
    post = Post()
    with pytest.raises(AttributeError):
        post.state = S.PUBLISHED

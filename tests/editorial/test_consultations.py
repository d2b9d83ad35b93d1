"""Consultation of the units concerned: asking, answering, revision binding, blocking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import policies, selectors, services
from editorial.models import (
    ApprovalStep,
    AuditEvent,
    Consultation,
    Notification,
    PostState,
)
from editorial.selectors import consultations as consultation_selectors
from editorial.services import consultations
from tests.conftest import Org
from tests.editorial.consultation_setup import (
    Legal,
    ask,
    draft,
    in_days,
    make_legal,
    state,
    submitted,
)
from tests.factories import add_step, make_policy, make_user

S = PostState
A = Consultation.Answer
K = Notification.Kind


@pytest.fixture
def legal(org: Org) -> Legal:
    return make_legal(org)


@pytest.fixture
def director(org: Org) -> User:
    """Second step of a two-step chain (the first is the service's reviewer, the manager)."""
    director = make_user(username="director")
    membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.ministry, name="Deux niveaux")
    add_step(policy, "Chef de service", ApprovalStep.Kind.HIERARCHY, levels_up=0)
    add_step(policy, "Direction", ApprovalStep.Kind.HIERARCHY, levels_up=1)
    return director


def _kinds(user: User) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def _answer(
    legal: Legal, c: Consultation, answer: str = A.AGREE, comment: str = ""
) -> Consultation:
    return consultations.consultation_answer(
        consultation=c, answer=answer, comment=comment, by=legal.jurist
    )


# --- asking -------------------------------------------------------------------------------


def test_consultation_request_by_author_binds_the_current_revision(legal: Legal) -> None:
    post = draft(legal.org)
    consultation = ask(legal, post)
    assert consultation.revision == post.current_revision
    assert consultation.status() == Consultation.Status.WAITING


def test_consultation_request_by_an_approver_in_review(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post, by=legal.org.manager)
    assert consultation.requested_by == legal.org.manager


def test_consultation_request_refused_to_an_outsider(legal: Legal) -> None:
    post = submitted(legal.org)
    with pytest.raises(PermissionDenied, match="Only the author or an approver"):
        ask(legal, post, by=legal.org.outsider)
    assert not Consultation.objects.exists()


def test_consultation_request_refused_once_approved(legal: Legal) -> None:
    post = submitted(legal.org)
    services.post_approve(post=post, by=legal.org.manager)
    with pytest.raises(services.TransitionRefused, match="while it is Approved"):
        ask(legal, post)


def test_consultation_request_refuses_a_past_deadline(legal: Legal) -> None:
    with pytest.raises(services.EditorialError, match="deadline has passed"):
        ask(legal, draft(legal.org), deadline=in_days(-1))


def test_consultation_request_requires_a_question(legal: Legal) -> None:
    with pytest.raises(services.EditorialError, match="question is required"):
        consultations.consultation_request(
            post=draft(legal.org),
            units=[legal.unit],
            question="  ",
            blocking=True,
            deadline=in_days(1),
            by=legal.org.officer,
        )


def test_consultation_request_refuses_the_speaking_unit(legal: Legal) -> None:
    with pytest.raises(services.EditorialError, match="unit that speaks"):
        consultations.consultation_request(
            post=draft(legal.org),
            units=[legal.org.service],
            question="?",
            blocking=True,
            deadline=in_days(1),
            by=legal.org.officer,
        )


def test_consultation_request_one_open_per_unit(legal: Legal) -> None:
    post = draft(legal.org)
    ask(legal, post)
    with pytest.raises(services.EditorialError, match="already consulted"):
        ask(legal, post)
    assert post.consultations.count() == 1


def test_consultation_request_notifies_the_consulted_unit(legal: Legal) -> None:
    ask(legal, draft(legal.org))
    assert _kinds(legal.jurist) == [K.CONSULTATION_REQUESTED]
    assert _kinds(legal.head) == [K.CONSULTATION_REQUESTED]
    assert _kinds(legal.org.outsider) == []


def test_consultation_request_is_audited(legal: Legal) -> None:
    post = draft(legal.org)
    ask(legal, post)
    event = AuditEvent.objects.get(verb="consultation_requested")
    assert (event.post, event.actor) == (post, legal.org.officer)
    assert event.data["unit"]["id"] == legal.unit.pk
    assert event.data["blocking"] is True


# --- who answers --------------------------------------------------------------------------


def test_consultation_answer_refused_to_an_outsider(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org))
    with pytest.raises(PermissionDenied, match="Only members of"):
        consultations.consultation_answer(
            consultation=consultation, answer=A.AGREE, comment="", by=legal.org.outsider
        )
    consultation.refresh_from_db()
    assert consultation.answer == ""


def test_consultation_answer_refused_to_the_requester_in_the_unit(legal: Legal) -> None:
    membership_create(user=legal.org.manager, unit=legal.unit, role=Membership.Role.AUTHOR)
    consultation = ask(legal, submitted(legal.org), by=legal.org.manager)
    with pytest.raises(PermissionDenied, match="another member"):
        consultations.consultation_answer(
            consultation=consultation, answer=A.AGREE, comment="", by=legal.org.manager
        )


def test_consultation_objection_requires_a_comment(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org))
    with pytest.raises(services.EditorialError, match="comment is required"):
        _answer(legal, consultation, A.OBJECT, "  ")


def test_consultation_answer_refuses_a_stale_revision(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    services.post_update(
        post=post, by=legal.org.officer, base_revision=1, text="Mardi.", language="fr"
    )
    with pytest.raises(services.TransitionRefused, match="revision 2"):
        consultations.consultation_answer(
            consultation=consultation, answer=A.AGREE, comment="", by=legal.jurist, revision=1
        )


def test_consultation_answer_only_once_per_revision(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org))
    _answer(legal, consultation, A.OBJECT, "Le délai est de deux mois.")
    with pytest.raises(services.EditorialError, match="already answered this revision"):
        consultations.consultation_answer(
            consultation=consultation, answer=A.AGREE, comment="", by=legal.head
        )


def test_consultation_consulted_member_sees_the_post_but_cannot_approve(legal: Legal) -> None:
    post = submitted(legal.org)
    assert not selectors.posts_visible_to(legal.jurist).filter(pk=post.pk).exists()
    ask(legal, post)
    assert selectors.post_get_for(legal.jurist, post.pk) == post
    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=legal.jurist)


def test_consultation_cancelled_request_hides_the_post_again(legal: Legal) -> None:
    post = submitted(legal.org)
    consultations.consultation_cancel(consultation=ask(legal, post), by=legal.org.officer)
    assert not selectors.posts_visible_to(legal.jurist).filter(pk=post.pk).exists()


# --- blocking, advisory, revision binding -------------------------------------------------


def test_consultation_blocking_holds_the_final_approval(legal: Legal) -> None:
    post = submitted(legal.org)
    ask(legal, post)
    services.post_approve(post=post, by=legal.org.manager)
    assert state(post) == S.IN_REVIEW
    event = AuditEvent.objects.filter(post=post).last()
    assert event is not None and event.verb == "step_approved"
    assert event.data["waiting_for_consultations"] == [str(legal.unit)]
    assert K.APPROVED not in _kinds(legal.org.officer)


def test_consultation_waiting_post_refuses_further_approval(legal: Legal) -> None:
    post = submitted(legal.org)
    ask(legal, post)
    services.post_approve(post=post, by=legal.org.manager)
    reviewer = make_user()
    with pytest.raises(PermissionDenied, match="waits for the consultation"):
        services.post_approve(post=post, by=reviewer)


def test_consultation_agreement_after_the_chain_approves_the_post(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    services.post_approve(post=post, by=legal.org.manager)
    _answer(legal, consultation)
    assert state(post) == S.APPROVED
    event = AuditEvent.objects.filter(post=post).last()
    assert event is not None
    assert (event.verb, event.actor, event.to_state) == (
        "consultations_cleared",
        legal.jurist,
        S.APPROVED,
    )
    assert K.APPROVED in _kinds(legal.org.officer)


def test_consultation_agreement_before_the_chain_lets_the_approval_through(
    legal: Legal, director: User
) -> None:
    post = submitted(legal.org)
    _answer(legal, ask(legal, post))
    services.post_approve(post=post, by=legal.org.manager)
    assert state(post) == S.IN_REVIEW  # the second step is still open
    services.post_approve(post=post, by=director)
    assert state(post) == S.APPROVED


def test_consultation_agreement_mid_chain_does_not_approve(legal: Legal, director: User) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    services.post_approve(post=post, by=legal.org.manager)
    _answer(legal, consultation)
    assert state(post) == S.IN_REVIEW


def test_consultation_objection_keeps_the_post_blocked(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    services.post_approve(post=post, by=legal.org.manager)
    answered = _answer(legal, consultation, A.OBJECT, "Le délai de recours est de deux mois.")
    assert state(post) == S.IN_REVIEW
    assert answered.status() == Consultation.Status.OBJECTED
    assert policies.waiting_for_consultations(post) is not None


def test_consultation_objection_notifies_author_requester_and_approvers(
    legal: Legal, director: User
) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    Notification.objects.all().delete()
    _answer(legal, consultation, A.OBJECT, "Le délai est faux.")
    # The author asked; the manager approves the open step; the director's turn is later.
    for user in (legal.org.officer, legal.org.manager):
        assert _kinds(user) == [K.CONSULTATION_ANSWERED]
    assert _kinds(director) == []
    note = Notification.objects.get(recipient=legal.org.officer)
    assert "Le délai est faux." in note.message


def test_consultation_objection_can_be_answered_by_a_request_for_changes(legal: Legal) -> None:
    post = submitted(legal.org)
    _answer(legal, ask(legal, post), A.OBJECT, "Le délai est faux.")
    services.post_request_changes(post=post, by=legal.org.manager, comment="Voir la DAJ.")
    assert state(post) == S.CHANGES_REQUESTED


def test_consultation_advisory_does_not_block(legal: Legal) -> None:
    post = submitted(legal.org)
    ask(legal, post, blocking=False)
    services.post_approve(post=post, by=legal.org.manager)
    assert state(post) == S.APPROVED


def test_consultation_answer_is_bound_to_the_revision(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    _answer(legal, consultation)
    services.post_update(
        post=post, by=legal.org.officer, base_revision=1, text="Mardi.", language="fr"
    )
    consultation.refresh_from_db()
    post.refresh_from_db()
    consultation.post = post
    assert consultation.status() == Consultation.Status.TO_ANSWER_AGAIN
    assert consultation.holds
    services.post_approve(post=post, by=legal.org.manager)
    assert state(post) == S.IN_REVIEW


def test_consultation_edit_asks_the_unit_again(legal: Legal) -> None:
    post = submitted(legal.org)
    _answer(legal, ask(legal, post))
    Notification.objects.all().delete()
    services.post_update(
        post=post, by=legal.org.officer, base_revision=1, text="Mardi.", language="fr"
    )
    assert _kinds(legal.jurist) == [K.CONSULTATION_REQUESTED]
    assert [
        r.consultation.unit for r in consultation_selectors.consultation_queue(legal.jurist)
    ] == [legal.unit]


def test_consultation_queue_lists_what_waits_for_the_unit(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    assert [r.consultation for r in consultation_selectors.consultation_queue(legal.jurist)] == [
        consultation
    ]
    _answer(legal, consultation)
    assert consultation_selectors.consultation_queue(legal.jurist) == []
    assert consultation_selectors.consultation_queue(legal.org.outsider) == []


def test_consultation_cancel_of_the_last_hold_approves(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    services.post_approve(post=post, by=legal.org.manager)
    consultations.consultation_cancel(consultation=consultation, by=legal.org.officer)
    assert state(post) == S.APPROVED
    consultation.refresh_from_db()
    assert consultation.cancelled_by == legal.org.officer


def test_consultation_cancel_refused_to_anyone_but_the_requester(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org), by=legal.org.manager)
    with pytest.raises(PermissionDenied, match="who asked"):
        consultations.consultation_cancel(consultation=consultation, by=legal.org.officer)
    consultation.refresh_from_db()
    assert consultation.cancelled_at is None


def test_consultation_overdue_mark_for_advisory(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org), blocking=False, deadline=in_days(1))
    later = consultation.deadline + timedelta(minutes=1)
    assert consultation.status(later) == Consultation.Status.OVERDUE

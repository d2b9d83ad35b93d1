"""Every write on consultations: ask, answer, cancel, escalate. One writer per change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, User
from editorial import policies
from editorial.models import (
    Consultation,
    Notification,
    Post,
    PostHocReview,
    PostState,
    Revision,
)
from editorial.policies.consultations import (
    ANSWERABLE_STATES,
    ASKABLE_STATES,
    answer_refusal,
    ask_refusal,
    cancel_refusal,
    quote,
    unit_heads,
    unit_members,
)
from editorial.services import notifications
from editorial.workflow import EditorialError, TransitionRefused, audit, lock_post, transition

S = PostState
Kind = Notification.Kind


@transaction.atomic
def consultation_request(
    *,
    post: Post,
    units: Sequence[OrgUnit],
    question: str,
    blocking: bool,
    deadline: datetime,
    by: User,
) -> list[Consultation]:
    """Ask each unit about the post's current revision; each appears in that unit's queue."""
    post = lock_post(post.pk)
    refusal = ask_refusal(post, by)
    if refusal:
        if post.state not in ASKABLE_STATES:
            raise TransitionRefused(refusal)
        raise PermissionDenied(refusal)
    question = question.strip()
    if not question:
        raise EditorialError(_("Say what the units should check: a question is required."))
    if not units:
        raise EditorialError(_("Choose at least one unit to consult."))
    if deadline <= timezone.now():
        raise EditorialError(_("The deadline has passed already: choose a later time."))
    assert post.current_revision is not None
    asked = []
    for unit in units:
        _check_unit(post, unit)
        asked.append(_ask(post, unit, question, blocking=blocking, deadline=deadline, by=by))
    return asked


def _ask(
    post: Post, unit: OrgUnit, question: str, *, blocking: bool, deadline: datetime, by: User
) -> Consultation:
    """One unit asked: its consultation, the audit event, its members told."""
    assert post.current_revision is not None
    consultation = Consultation.objects.create(
        post=post,
        revision=post.current_revision,
        unit=unit,
        requested_by=by,
        question=question,
        blocking=blocking,
        deadline=deadline,
    )
    audit(
        post,
        "consultation_requested",
        actor=by,
        consultation_id=consultation.pk,
        unit=quote(unit),
        blocking=blocking,
        deadline=deadline.isoformat(),
        revision=post.current_revision.number,
        comment=question,
    )
    notifications.notify(
        post=post,
        kind=Kind.CONSULTATION_REQUESTED,
        recipients=unit_members(unit) - {by.pk, post.author_id},
        message=question,
    )
    return consultation


def _check_unit(post: Post, unit: OrgUnit) -> None:
    if unit.pk == post.unit_id:
        raise EditorialError(
            _("%(unit)s is the unit that speaks: consult another unit.") % {"unit": unit}
        )
    if not unit_members(unit):
        raise EditorialError(
            _("%(unit)s has no active member to answer: consult another unit.") % {"unit": unit}
        )
    if Consultation.objects.active().filter(post=post, unit=unit).exists():
        raise EditorialError(
            _("%(unit)s is already consulted on this post: see its answer below.") % {"unit": unit}
        )


def _lock_consultation(pk: int, post_id: int) -> Consultation:
    """Lock the post first (the order every writer follows), then the consultation."""
    post = lock_post(post_id)
    locked: Consultation = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("unit", "requested_by")
        .get(pk=pk, post_id=post_id)
    )
    locked.post = post
    return locked


@transaction.atomic
def consultation_answer(
    *,
    consultation: Consultation,
    answer: str,
    comment: str,
    by: User,
    revision: int | None = None,
) -> Consultation:
    """Record the unit's answer on the current revision; ``revision`` is the one read.

    An agreement that lifts the last blocking consultation of a post whose chain is complete
    approves the post. An objection keeps it blocked until an edit or a request for changes.
    """
    consultation = _lock_consultation(consultation.pk, consultation.post_id)
    post = consultation.post
    current = _revision_to_answer(consultation, by=by, seen=revision)
    if answer not in Consultation.Answer.values:
        raise EditorialError(_("Answer agree or object."))
    comment = comment.strip()
    if answer == Consultation.Answer.OBJECT and not comment:
        raise EditorialError(_("Say which facts you object to: a comment is required."))
    _save_answer(consultation, answer, comment, by=by, revision=current)
    late: dict[str, Any] = {"after_urgent_publication": True} if consultation.is_overridden else {}
    audit(
        post,
        "consultation_answered",
        actor=by,
        consultation_id=consultation.pk,
        unit=quote(consultation.unit),
        answer=answer,
        revision=current.number,
        comment=comment,
        **late,
    )
    _notify_answer(consultation, by=by)
    if answer == Consultation.Answer.AGREE and consultation.blocking:
        _clear_if_ready(post, by=by)
    return consultation


def _save_answer(
    consultation: Consultation, answer: str, comment: str, *, by: User, revision: Revision
) -> None:
    consultation.answer = answer
    consultation.comment = comment
    consultation.answered_by = by
    consultation.answered_at = timezone.now()
    consultation.answered_revision = revision
    # A new round of silence (after the next edit) escalates again from the start.
    consultation.escalation_level = 0
    consultation.save()


def _revision_to_answer(consultation: Consultation, *, by: User, seen: int | None) -> Revision:
    """The post's current revision, if ``by`` may answer now and read that one (``seen``)."""
    post = consultation.post
    refusal = answer_refusal(consultation, by)
    if refusal:
        settled = not consultation.is_overridden and post.state not in ANSWERABLE_STATES
        if settled or consultation.cancelled_at is not None:
            raise TransitionRefused(refusal)
        if consultation.answers_current:
            raise EditorialError(refusal)
        raise PermissionDenied(refusal)
    current = post.current_revision
    assert current is not None
    if seen is not None and seen != current.number:
        raise TransitionRefused(
            _(
                "The author saved revision %(current)s after you opened revision %(seen)s: "
                "read it before answering."
            )
            % {"current": current.number, "seen": seen}
        )
    return current


def _notify_answer(consultation: Consultation, *, by: User) -> None:
    post = consultation.post
    recipients = {post.author_id, consultation.requested_by_id}
    review = consultation.overridden_by_urgent
    if review is not None:
        # A late answer, after the urgent procedure published without it: whoever published
        # hears it; an objection also reaches the skipped approvers, for their post-hoc review.
        recipients.add(review.urgent_by_id)
        if consultation.answer == Consultation.Answer.OBJECT:
            recipients |= set(review.approvers.values_list("pk", flat=True))
    elif consultation.answer == Consultation.Answer.OBJECT:
        # Those who approve (or approved) this revision must know it is contested.
        recipients |= notifications.open_step_approvers(post)
        recipients |= {a.approver_id for a in policies.current_approvals(post)}
    notifications.notify(
        post=post,
        kind=Kind.CONSULTATION_ANSWERED,
        recipients=recipients - {by.pk},
        message=f"{consultation.unit}: {consultation.get_answer_display()}"
        + (f" — {consultation.comment}" if consultation.comment else ""),
    )


def _clear_if_ready(post: Post, *, by: User) -> bool:
    """Approve a post in review whose chain is complete and that nothing holds any more."""
    if post.state != S.IN_REVIEW or Consultation.objects.holding(post).exists():
        return False
    if not policies.is_complete(policies.chain_status(post)):
        return False
    assert post.current_revision is not None
    transition(
        post,
        post.consultations_cleared,
        by=by,
        verb="consultations_cleared",
        action=_("approve"),
        revision=post.current_revision.number,
        content_hash=post.current_revision.content_hash,
    )
    notifications.notify_many(notifications.approved_notes(post, by=by))
    return True


@transaction.atomic
def consultation_cancel(*, consultation: Consultation, by: User) -> Consultation:
    """Withdraw a request (the row stays, cancelled). Lifting the last blocking consultation
    of a post whose chain is complete approves it, as an agreement would."""
    consultation = _lock_consultation(consultation.pk, consultation.post_id)
    refusal = cancel_refusal(consultation, by)
    if refusal:
        if consultation.requested_by_id != by.pk:
            raise PermissionDenied(refusal)
        raise TransitionRefused(refusal)
    consultation.cancelled_at = timezone.now()
    consultation.cancelled_by = by
    consultation.save(update_fields=["cancelled_at", "cancelled_by"])
    audit(
        consultation.post,
        "consultation_cancelled",
        actor=by,
        consultation_id=consultation.pk,
        unit=quote(consultation.unit),
    )
    if consultation.blocking:
        _clear_if_ready(consultation.post, by=by)
    return consultation


def consultations_override(
    *, post: Post, consultations: Sequence[Consultation], review: PostHocReview, by: User
) -> None:
    """Close unanswered blocking consultations that the urgent procedure published past.

    Only ``editorial.services.urgent.post_publish_urgently`` calls this, inside its transaction with
    the post locked, after the publisher acknowledged these very consultations. Each is
    audited, and the members of the unit who would have answered are told, with the
    justification: their silence was not taken for consent, it was overruled.
    """
    notes = []
    for consultation in consultations:
        consultation.overridden_at = review.created_at
        consultation.overridden_by_urgent = review
        consultation.save(update_fields=["overridden_at", "overridden_by_urgent"])
        audit(
            post,
            "consultation_overridden",
            actor=by,
            consultation_id=consultation.pk,
            unit=quote(consultation.unit),
            requested_at=consultation.created_at.isoformat(),
            deadline=consultation.deadline.isoformat(),
            posthoc_review=review.pk,
            justification=review.justification,
        )
        # The same people as for the request: the unit's members but the author and the
        # requester (who may not answer), and the publisher, who knows.
        recipients = unit_members(consultation.unit) - {
            consultation.requested_by_id,
            post.author_id,
            by.pk,
        }
        notes.append(
            notifications.Note(
                post, Kind.CONSULTATION_OVERRIDDEN, recipients, message=review.justification
            )
        )
    notifications.notify_many(notes)


def escalation_grace() -> timedelta:
    return timedelta(hours=settings.CONSULTATION_ESCALATION_HOURS)


def consultations_escalate_overdue(*, now: datetime | None = None) -> int:
    """Alert about blocking consultations left unanswered past their deadline; how many
    alerts were raised. Each level fires once per round of silence, whoever runs it first:
    level 1 tells the consulted unit's head(s) at the deadline, level 2 the requester once
    ``CONSULTATION_ESCALATION_HOURS`` more have passed. The post stays held throughout."""
    now = now or timezone.now()
    due = (
        Consultation.objects.unanswered()
        .filter(
            blocking=True,
            escalation_level__lt=2,
            deadline__lte=now,
            post__state__in=ASKABLE_STATES,
        )
        .order_by("deadline", "pk")
        .values_list("pk", "post_id")
    )
    raised = 0
    for pk, post_id in list(due):
        raised += _escalate_one(pk, post_id, now=now)
    return raised


@transaction.atomic
def _escalate_one(pk: int, post_id: int, *, now: datetime) -> int:
    consultation = _lock_consultation(pk, post_id)
    post = consultation.post
    if (
        consultation.cancelled_at is not None
        or consultation.answers_current
        or post.state not in ASKABLE_STATES
    ):
        return 0  # answered or settled since the query: nothing to escalate
    raised = 0
    if consultation.escalation_level == 0:
        _raise(consultation, level=1, now=now, recipients=unit_heads(consultation.unit))
        raised += 1
    if consultation.escalation_level == 1 and now >= consultation.deadline + escalation_grace():
        _raise(consultation, level=2, now=now, recipients={consultation.requested_by_id})
        raised += 1
    return raised


def _raise(consultation: Consultation, *, level: int, now: datetime, recipients: set[int]) -> None:
    consultation.escalation_level = level
    consultation.escalated_at = now
    consultation.save(update_fields=["escalation_level", "escalated_at"])
    post = consultation.post
    audit(
        post,
        "consultation_escalated",
        actor=None,
        consultation_id=consultation.pk,
        unit=quote(consultation.unit),
        level=level,
        deadline=consultation.deadline.isoformat(),
        notified=sorted(recipients),
    )
    # The headline (the kind) is translated when shown; a worker has no reader's language.
    notifications.notify(
        post=post,
        kind=Kind.CONSULTATION_OVERDUE,
        recipients=recipients,
        message=str(consultation.unit),
    )

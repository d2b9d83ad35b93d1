"""Consultation of the units concerned: every write on consultations, and their reads.

A reviewer or the author asks other units about a post, blocking or advisory, with a deadline.
Answers are bound to the revision they cover, like approvals. A blocking consultation holds a
complete approval chain until the unit agrees on the current revision; silence never counts
as consent: at the deadline the unit's head is alerted, after a grace period the requester.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, OrgUnit, User
from editorial import notifications, policies, selectors
from editorial.models import Consultation, Notification, Post, PostState
from editorial.services import EditorialError, TransitionRefused, _audit, _lock

S = PostState
Kind = Notification.Kind
# Asking makes sense before approval: afterwards the content is settled.
ASKABLE_STATES = (S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED)
# An advisory answer may still come after approval; once publication starts it is too late.
ANSWERABLE_STATES = (*ASKABLE_STATES, S.APPROVED, S.SCHEDULED)


def unit_members(unit: OrgUnit) -> set[int]:
    """Active members of the unit, whatever their role: any of them may answer."""
    members = Membership.objects.filter(unit=unit, user__is_active=True)
    return set(members.values_list("user_id", flat=True))


def unit_heads(unit: OrgUnit) -> set[int]:
    """Who is alerted first when the unit stays silent: its administrators, else its
    reviewers, else (a unit of authors only) every member, so the alert reaches someone."""
    members = Membership.objects.filter(unit=unit, user__is_active=True)
    for role in (Membership.Role.ADMIN, Membership.Role.REVIEWER):
        heads = set(members.filter(role=role).values_list("user_id", flat=True))
        if heads:
            return heads
    return unit_members(unit)


def _quote(unit: OrgUnit) -> dict[str, Any]:
    return {"id": unit.pk, "name": str(unit)}


# --- who may do what ----------------------------------------------------------------------


def ask_refusal(post: Post, user: User) -> str | None:
    """Why ``user`` may not ask for a consultation on ``post`` now, or None if they may."""
    if post.state not in ASKABLE_STATES:
        return _("Cannot ask for a consultation on post #%(id)s while it is %(state)s.") % {
            "id": post.pk,
            "state": post.get_state_display(),
        }
    if not user.is_active or not (
        post.author_id == user.pk or policies.approves_any_step(post, user)
    ):
        return _("Only the author or an approver of post #%(id)s can ask for a consultation.") % {
            "id": post.pk
        }
    return None


def answer_refusal(
    consultation: Consultation, user: User, *, member_of: set[int] | None = None
) -> str | None:
    """Why ``user`` may not answer now, or None. Reads ``consultation.post`` as given;
    ``member_of`` (the user's unit ids) spares a query per consultation on a page."""
    post = consultation.post
    if consultation.cancelled_at is not None:
        return _("This consultation was cancelled.")
    if post.state not in ANSWERABLE_STATES:
        return _("Post #%(id)s is %(state)s: the consultation can no longer be answered.") % {
            "id": post.pk,
            "state": post.get_state_display(),
        }
    if member_of is None:
        member = user.pk in unit_members(consultation.unit)
    else:
        member = user.is_active and consultation.unit_id in member_of
    if not member:
        return _("Only members of %(unit)s answer this consultation.") % {"unit": consultation.unit}
    if user.pk in (post.author_id, consultation.requested_by_id):
        return _(
            "You wrote the post or asked the question: another member of %(unit)s answers."
        ) % {"unit": consultation.unit}
    if consultation.answers_current:
        return _(
            "%(unit)s already answered this revision; it will be asked again after an edit."
        ) % {"unit": consultation.unit}
    return None


def cancel_refusal(consultation: Consultation, user: User) -> str | None:
    if consultation.cancelled_at is not None:
        return _("This consultation was already cancelled.")
    if consultation.requested_by_id != user.pk:
        # Else an author could lift the blocking consultation a reviewer asked for.
        return _("Only %(who)s, who asked, can cancel this consultation.") % {
            "who": consultation.requested_by
        }
    if consultation.post.state not in ASKABLE_STATES:
        return _("The post is %(state)s: its consultations are settled.") % {
            "state": consultation.post.get_state_display()
        }
    return None


# --- services -----------------------------------------------------------------------------


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
    post = _lock(post.pk)
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
        consultation = Consultation.objects.create(
            post=post,
            revision=post.current_revision,
            unit=unit,
            requested_by=by,
            question=question,
            blocking=blocking,
            deadline=deadline,
        )
        _audit(
            post,
            "consultation_requested",
            actor=by,
            consultation_id=consultation.pk,
            unit=_quote(unit),
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
        asked.append(consultation)
    return asked


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
    post = _lock(post_id)
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
    refusal = answer_refusal(consultation, by)
    if refusal:
        if post.state not in ANSWERABLE_STATES or consultation.cancelled_at is not None:
            raise TransitionRefused(refusal)
        if consultation.answers_current:
            raise EditorialError(refusal)
        raise PermissionDenied(refusal)
    current = post.current_revision
    assert current is not None
    if revision is not None and revision != current.number:
        raise TransitionRefused(
            _(
                "The author saved revision %(current)s after you opened revision %(seen)s: "
                "read it before answering."
            )
            % {"current": current.number, "seen": revision}
        )
    if answer not in Consultation.Answer.values:
        raise EditorialError(_("Answer agree or object."))
    comment = comment.strip()
    if answer == Consultation.Answer.OBJECT and not comment:
        raise EditorialError(_("Say which facts you object to: a comment is required."))
    consultation.answer = answer
    consultation.comment = comment
    consultation.answered_by = by
    consultation.answered_at = timezone.now()
    consultation.answered_revision = current
    # A new round of silence (after the next edit) escalates again from the start.
    consultation.escalation_level = 0
    consultation.save()
    _audit(
        post,
        "consultation_answered",
        actor=by,
        consultation_id=consultation.pk,
        unit=_quote(consultation.unit),
        answer=answer,
        revision=current.number,
        comment=comment,
    )
    _notify_answer(consultation, by=by)
    if answer == Consultation.Answer.AGREE and consultation.blocking:
        _clear_if_ready(post, by=by)
    return consultation


def _notify_answer(consultation: Consultation, *, by: User) -> None:
    post = consultation.post
    recipients = {post.author_id, consultation.requested_by_id}
    if consultation.answer == Consultation.Answer.OBJECT:
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
    source = post.state
    post.consultations_cleared()
    post.save()
    _audit(
        post,
        "consultations_cleared",
        actor=by,
        from_state=source,
        to_state=post.state,
        revision=post.current_revision.number,
        content_hash=post.current_revision.content_hash,
    )
    notifications.notify(post=post, kind=Kind.APPROVED, recipients=[post.author_id])
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
    _audit(
        consultation.post,
        "consultation_cancelled",
        actor=by,
        consultation_id=consultation.pk,
        unit=_quote(consultation.unit),
    )
    if consultation.blocking:
        _clear_if_ready(consultation.post, by=by)
    return consultation


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
    _audit(
        post,
        "consultation_escalated",
        actor=None,
        consultation_id=consultation.pk,
        unit=_quote(consultation.unit),
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


# --- reads --------------------------------------------------------------------------------


def consultations_of(post: Post) -> QuerySet[Consultation]:
    rows: QuerySet[Consultation] = post.consultations.select_related(
        "unit", "requested_by", "answered_by", "revision", "answered_revision", "post"
    ).order_by("created_at", "pk")
    return rows


def consultation_get_for(user: User, pk: int) -> Consultation:
    """A consultation on a post the user may see (404 otherwise)."""
    consultation = Consultation.objects.select_related("unit", "requested_by").filter(pk=pk).first()
    if consultation is None:
        raise Http404
    consultation.post = selectors.post_get_for(user, consultation.post_id)
    return consultation


@dataclass(frozen=True)
class ConsultationRow:
    consultation: Consultation
    status: Consultation.Status
    overdue: bool
    can_answer: bool
    can_cancel: bool


def consultation_rows(post: Post, user: User) -> list[ConsultationRow]:
    now = timezone.now()
    mine = set(selectors.member_unit_ids(user))
    rows = []
    for consultation in consultations_of(post):
        consultation.post = post
        rows.append(
            ConsultationRow(
                consultation=consultation,
                status=consultation.status(now),
                overdue=consultation.is_overdue(now),
                can_answer=answer_refusal(consultation, user, member_of=mine) is None,
                can_cancel=cancel_refusal(consultation, user) is None,
            )
        )
    return rows


def consultation_queue(user: User) -> list[ConsultationRow]:
    """Consultations asked of the user's units that wait for an answer on the current
    revision (overdue first), excluding posts the user wrote or questions they asked."""
    now = timezone.now()
    pending = (
        Consultation.objects.unanswered()
        .filter(unit__in=selectors.member_unit_ids(user), post__state__in=ANSWERABLE_STATES)
        .exclude(post__author=user)
        .exclude(requested_by=user)
        .select_related("unit", "requested_by", "post", "post__current_revision", "post__author")
        .order_by("deadline", "pk")
    )
    rows = [
        ConsultationRow(
            consultation=c,
            status=c.status(now),
            overdue=c.is_overdue(now),
            can_answer=True,
            can_cancel=False,
        )
        for c in pending
    ]
    return sorted(rows, key=lambda r: not r.overdue)

"""Who may ask, answer and cancel a consultation, and who is alerted: reads only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Membership, OrgUnit, User
from editorial.models import Consultation, Post, PostState
from editorial.policies.review import approves_any_step

S = PostState
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


def quote(unit: OrgUnit) -> dict[str, Any]:
    return {"id": unit.pk, "name": str(unit)}


def ask_refusal(post: Post, user: User) -> str | None:
    """Why ``user`` may not ask for a consultation on ``post`` now, or None if they may."""
    if post.state not in ASKABLE_STATES:
        return _("Cannot ask for a consultation on post #%(id)s while it is %(state)s.") % {
            "id": post.pk,
            "state": post.get_state_display(),
        }
    if not user.is_active or not (post.author_id == user.pk or approves_any_step(post, user)):
        return _("Only the author or an approver of post #%(id)s can ask for a consultation.") % {
            "id": post.pk
        }
    return None


def _closed_refusal(consultation: Consultation) -> str | None:
    """Why nobody may answer any more, or None."""
    post = consultation.post
    if consultation.cancelled_at is not None:
        return _("This consultation was cancelled.")
    if consultation.is_overridden:
        # The post went out under the urgent procedure: the unit may still answer once,
        # whatever the post's state, so an objection reaches those who review it afterwards.
        if consultation.answered_late:
            return _("%(unit)s already answered after the urgent publication.") % {
                "unit": consultation.unit
            }
        return None
    if post.state not in ANSWERABLE_STATES:
        return _("Post #%(id)s is %(state)s: the consultation can no longer be answered.") % {
            "id": post.pk,
            "state": post.get_state_display(),
        }
    return None


def answer_refusal(
    consultation: Consultation, user: User, *, member_of: set[int] | None = None
) -> str | None:
    """Why ``user`` may not answer now, or None. Reads ``consultation.post`` as given;
    ``member_of`` (the user's unit ids) spares a query per consultation on a page."""
    post = consultation.post
    closed = _closed_refusal(consultation)
    if closed:
        return closed
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
    if not consultation.is_overridden and consultation.answers_current:
        return _(
            "%(unit)s already answered this revision; it will be asked again after an edit."
        ) % {"unit": consultation.unit}
    return None


def cancel_refusal(consultation: Consultation, user: User) -> str | None:
    if consultation.cancelled_at is not None:
        return _("This consultation was already cancelled.")
    if consultation.is_overridden:
        return _("This consultation was closed by the urgent procedure.")
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

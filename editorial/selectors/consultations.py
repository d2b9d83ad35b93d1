"""Reads of consultations that depend on who asks."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from editorial.models import Consultation, Post
from editorial.policies.consultations import ANSWERABLE_STATES, answer_refusal, cancel_refusal
from editorial.selectors import posts


def consultations_of(post: Post) -> QuerySet[Consultation]:
    rows: QuerySet[Consultation] = post.consultations.select_related(
        "unit",
        "requested_by",
        "answered_by",
        "revision",
        "answered_revision",
        "post",
        "overridden_by_urgent__urgent_by",
    ).order_by("created_at", "pk")
    return rows


def consultation_get_for(user: User, pk: int) -> Consultation:
    """A consultation on a post the user may see (404 otherwise)."""
    consultation = Consultation.objects.select_related("unit", "requested_by").filter(pk=pk).first()
    if consultation is None:
        raise Http404
    consultation.post = posts.post_get_for(user, consultation.post_id)
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
    mine = set(posts.member_unit_ids(user))
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
        .filter(unit__in=posts.member_unit_ids(user), post__state__in=ANSWERABLE_STATES)
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

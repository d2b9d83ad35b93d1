"""Reads of the urgent procedure: the blocking consultations it would publish past, and the
post-hoc reviews it opened (of a post, overdue, owed by a member)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Delegation, User
from editorial.models import Consultation, Post, PostHocReview
from editorial.policies.urgent import stands_in_for


def blocking_unanswered(post: Post) -> QuerySet[Consultation]:
    """Blocking consultations of ``post`` still waiting for an answer on its current revision:
    what the urgent procedure would publish past, oldest first."""
    return (
        Consultation.objects.unanswered()
        .filter(post=post, blocking=True)
        .select_related("unit", "requested_by")
        .order_by("created_at", "pk")
    )


def _reviews() -> QuerySet[PostHocReview]:
    return PostHocReview.objects.select_related(
        "post", "post__author", "post__current_revision", "urgent_by", "completed_by"
    ).order_by("due_at", "pk")


def posthoc_reviews_of(post: Post) -> QuerySet[PostHocReview]:
    return _reviews().filter(post=post).select_related("as_deputy_of")


def posthoc_reviews_overdue(*, now: datetime | None = None) -> QuerySet[PostHocReview]:
    """Open reviews past their due time, the longest overdue first."""
    return _reviews().filter(completed_at__isnull=True, due_at__lt=now or timezone.now())


@dataclass(frozen=True)
class OwedReview:
    review: PostHocReview
    as_deputy_of: User | None
    overdue: bool


def posthoc_reviews_for(user: User, *, now: datetime | None = None) -> list[OwedReview]:
    """Open reviews ``user`` owes, in their own right or as deputy today, soonest due first."""
    now = now or timezone.now()
    today = timezone.localdate()
    principals = Delegation.objects.filter(
        to_user=user, starts_on__lte=today, ends_on__gte=today
    ).values("from_user")
    candidates = (
        _reviews()
        .filter(completed_at__isnull=True)
        .filter(Q(approvers=user) | Q(approvers__in=principals))
        .exclude(urgent_by=user)
        .exclude(post__author=user)
        .distinct()
    )
    owed = []
    for review in candidates:
        own = review.approvers.filter(pk=user.pk).exists()
        principal = None if own else stands_in_for(review, user)
        if own or principal:
            deputy_of = User.objects.get(pk=principal) if principal else None
            owed.append(OwedReview(review, deputy_of, review.due_at < now))
    return owed

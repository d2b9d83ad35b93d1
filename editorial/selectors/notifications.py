"""Reads of a member's in-app notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from editorial.models import Notification

if TYPE_CHECKING:
    from accounts.models import User


def notifications_for(user: User) -> QuerySet[Notification]:
    notes: QuerySet[Notification] = Notification.objects.filter(recipient=user).select_related(
        "post", "post__current_revision"
    )
    return notes


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

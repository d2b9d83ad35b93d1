"""Reads that depend on who asks. Every view fetches posts through these (404 otherwise)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts import permissions
from editorial.models import AuditEvent, Post, PostState

if TYPE_CHECKING:
    from accounts.models import User


def _visible_account_ids(user: User) -> set[int]:
    ids: set[int] = set()
    for perm in permissions.Perm:
        ids.update(permissions.accounts_for(user, perm).values_list("pk", flat=True))
    return ids


def posts_visible_to(user: User) -> QuerySet[Post]:
    """Posts the user wrote, or that target an account on which they hold any grant."""
    posts: QuerySet[Post] = (
        Post.objects.filter(Q(author=user) | Q(accounts__in=_visible_account_ids(user)))
        .distinct()
        .select_related("author", "unit", "current_revision")
        .prefetch_related("accounts")
    )
    return posts


def post_get_for(user: User, pk: int) -> Post:
    post: Post = get_object_or_404(posts_visible_to(user), pk=pk)
    return post


def review_queue(user: User) -> list[Post]:
    """Posts waiting for this user's review: every account grants review, never their own."""
    reviewable = set(
        permissions.accounts_for(user, permissions.Perm.REVIEW).values_list("pk", flat=True)
    )
    candidates = (
        posts_visible_to(user)
        .filter(state=PostState.IN_REVIEW)
        .exclude(author=user)
        .order_by("updated_at")
    )
    return [p for p in candidates if {a.pk for a in p.accounts.all()} <= reviewable]


def post_history(post: Post) -> QuerySet[AuditEvent]:
    return post.events.select_related("actor", "on_behalf_of").order_by("created_at", "pk")

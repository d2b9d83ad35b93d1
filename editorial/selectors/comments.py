"""Reads of a post's internal comment thread."""

from __future__ import annotations

from django.db.models import QuerySet

from editorial.models import Comment, Post


def comments_for(post: Post) -> QuerySet[Comment]:
    """The thread in the order it was written; the caller already fetched a post it may see."""
    comments: QuerySet[Comment] = (
        post.comments.select_related("author", "revision")
        .prefetch_related("mentions")
        .order_by("created_at", "pk")
    )
    return comments

"""Who may act on a post outside the review chain, asked by the pages that offer the button."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_fsm import can_proceed, has_transition_perm

if TYPE_CHECKING:
    from accounts.models import User
    from editorial.models import Post


def may_retry(post: Post | None, user: User) -> bool:
    """Whether ``user`` may retry this failed post now (the retry button is theirs)."""
    if post is None:
        return False
    return bool(can_proceed(post.retry) and has_transition_perm(post.retry, user))

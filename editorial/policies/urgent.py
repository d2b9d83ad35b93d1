"""Who may use the urgent procedure, and who completes the review owed after it.

The procedure itself (``editorial.services.urgent``) and the completion of the post-hoc review
(``editorial.services.posthoc``) ask these again under their lock; the pages ask them to offer
the button.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Delegation, SocialAccount, User
from editorial.models import Post, PostHocReview, PostState


def _names(accounts: list[SocialAccount]) -> str:
    return ", ".join(str(a) for a in accounts)


def urgent_refusal(post: Post, user: User) -> str | None:
    """Why ``user`` may not use the urgent procedure on ``post`` (whatever its state)."""
    if not user.is_active:
        return _("Your account is disabled.")
    if post.author_id == user.pk:
        return _(
            "You wrote this post: another member holding the urgent right must publish it "
            "under the urgent procedure (four-eyes rule)."
        )
    accounts = list(post.accounts.all())
    lacking = [a for a in accounts if not permissions.can(user, permissions.Perm.URGENT, a)]
    if lacking:
        return _("You lack the urgent right on %(accounts)s: ask an administrator.") % {
            "accounts": _names(lacking)
        }
    lacking = [a for a in accounts if not permissions.can(user, permissions.Perm.PUBLISH, a)]
    if lacking:
        return _(
            "The urgent procedure publishes at once: you also need the publish right on "
            "%(accounts)s."
        ) % {"accounts": _names(lacking)}
    return None


def may_publish_urgently(post: Post, user: User) -> bool:
    """Whether the post page offers the procedure (the service checks again)."""
    return post.state == PostState.IN_REVIEW and urgent_refusal(post, user) is None


# --- post-hoc review ---------------------------------------------------------------------


def _post_units(post: Post) -> list[Any]:
    return [a.unit for a in post.accounts.select_related("unit")]


def stands_in_for(review: PostHocReview, user: User) -> int | None:
    """The skipped approver ``user`` stands in for today, through a delegation that covers
    every account of the post (as for a step of the accounts' reviewers), else None."""
    today = timezone.localdate()
    delegations = (
        Delegation.objects.filter(
            to_user=user,
            from_user__in=review.approvers.all(),
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .select_related("unit")
        .order_by("pk")
    )
    units = _post_units(review.post)
    return next(
        (d.from_user_id for d in delegations if all(d.covers(u) for u in units)),
        None,
    )


def posthoc_refusal(review: PostHocReview, user: User) -> str | None:
    """Why ``user`` may not complete the review now, or None if they may."""
    if not review.is_open:
        return _("This post-hoc review was already completed by %(who)s.") % {
            "who": review.completed_by
        }
    if not user.is_active:
        return _("Your account is disabled.")
    if user.pk in (review.urgent_by_id, review.post.author_id):
        return _(
            "You published or wrote this post: the approvers who were skipped review it, not you."
        )
    if review.approvers.filter(pk=user.pk).exists() or stands_in_for(review, user):
        return None
    return _("Only the approvers of the skipped steps (or their deputies) complete this review.")


def owes_posthoc(post: Post, user: User) -> bool:
    """Whether ``user`` has an open post-hoc review on ``post`` (so may open the post)."""
    return any(
        posthoc_refusal(r, user) is None
        for r in post.posthoc_reviews.filter(completed_at__isnull=True)
    )

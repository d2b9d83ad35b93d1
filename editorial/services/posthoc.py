"""The review owed after an urgent publication: its completion, once, by a skipped approver
or their deputy. ``services.urgent.post_publish_urgently`` opens it, in the transaction that
publishes; who may complete it is ``editorial.policies.urgent.posthoc_refusal``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from editorial.models import Notification, PostHocReview
from editorial.policies.urgent import posthoc_refusal, stands_in_for
from editorial.services import notifications
from editorial.workflow import EditorialError, audit

Outcome = PostHocReview.Outcome


@transaction.atomic
def posthoc_review_complete(
    *, review: PostHocReview, by: User, outcome: str, comment: str = ""
) -> PostHocReview:
    """Confirm the urgent publication, or object to it with a comment (once per review)."""
    review = _lock_review(review.pk)
    refusal = posthoc_refusal(review, by)
    if refusal:
        if not review.is_open:
            raise EditorialError(refusal)
        raise PermissionDenied(refusal)
    if outcome not in Outcome.values:
        raise EditorialError(_("Choose to confirm the publication or to object to it."))
    comment = comment.strip()
    if outcome == Outcome.OBJECTED and not comment:
        raise EditorialError(_("Say what you object to: a comment is required."))
    deputy_of = None if review.approvers.filter(pk=by.pk).exists() else stands_in_for(review, by)
    review.completed_at = timezone.now()
    review.completed_by = by
    review.as_deputy_of_id = deputy_of
    review.outcome = outcome
    review.comment = comment
    review.save()
    audit(
        review.post,
        f"posthoc_{outcome}",
        actor=by,
        on_behalf_of=review.as_deputy_of,
        posthoc_review=review.pk,
        overdue=review.completed_at > review.due_at,
        comment=comment,
    )
    _tell_verdict(review, outcome=outcome, comment=comment, by=by)
    return review


def _lock_review(pk: int) -> PostHocReview:
    return (
        PostHocReview.objects.select_for_update(of=("self",))
        .select_related("post", "post__author", "urgent_by", "completed_by")
        .get(pk=pk)
    )


def _tell_verdict(review: PostHocReview, *, outcome: str, comment: str, by: User) -> None:
    """Whoever used the procedure and the author hear the verdict; the other skipped approvers
    hear that the review they were asked for is done, so they no longer need to act."""
    told = {
        review.urgent_by_id,
        review.post.author_id,
        *review.approvers.values_list("pk", flat=True),
    }
    notifications.notify(
        post=review.post,
        kind=(
            Notification.Kind.POSTHOC_OBJECTED
            if outcome == Outcome.OBJECTED
            else Notification.Kind.POSTHOC_CONFIRMED
        ),
        recipients=told - {by.pk},
        message=comment,
    )

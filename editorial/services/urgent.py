"""The urgent procedure: publish at once, skipping the pending steps, reviewed afterwards.

Who: a member holding the urgent right and the publish right on every account of the post,
never its author. Four-eyes holds in spirit: someone other than the writer decides, and the
approvers who were skipped read it afterwards (the post-hoc review).

When: only a post in review. It passed the charter at submission and the charter runs again
here (its version may have changed), so a blocking finding still refuses. A post sent back for
changes is not eligible: a reviewer objected to that content, and skipping them would overrule
a decision rather than a delay; the author edits and submits it again first.

A freeze still holds: the procedure skips approvals, not a decision to stop publishing, and is
refused rather than left waiting silently behind the freeze.

A blocking consultation still unanswered is a wait too, so the procedure may skip it, but never
silently: the page lists it, the publisher acknowledges each one by name, the service checks
again at the moment it acts that nothing was asked since the page was read, and each is closed
as overridden and its unit told. A blocking consultation that objected to this revision is a
decision, like a request for changes: the procedure is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from editorial import policies
from editorial.models import (
    Consultation,
    Freeze,
    Notification,
    Post,
    PostHocReview,
    PostState,
    Revision,
)
from editorial.selectors.urgent import blocking_unanswered
from editorial.services import consultations, notifications
from editorial.services.review import approver_record, check_charter
from editorial.services.scheduling import schedule_post
from editorial.workflow import (
    CharterRefused,
    EditorialError,
    TransitionRefused,
    guard,
    lock_post,
    transition,
)


class JustificationRefused(EditorialError):
    """The justification is missing or too short (the message says by how much)."""


def justification_min_length() -> int:
    return int(settings.URGENT_JUSTIFICATION_MIN_LENGTH)


def _clean_justification(text: str) -> str:
    text = text.strip()
    minimum = justification_min_length()
    if len(text) >= minimum:
        return text
    if not text:
        raise JustificationRefused(
            _(
                "Say why this cannot wait for the approvers: a justification of at least "
                "%(min)s characters is required."
            )
            % {"min": minimum}
        )
    raise JustificationRefused(
        _(
            "The justification needs at least %(min)s characters: %(missing)s more. Say why "
            "this cannot wait for the approvers; they will read it afterwards."
        )
        % {"min": minimum, "missing": minimum - len(text)}
    )


class ConsultationsNotAcknowledged(EditorialError):
    """A blocking consultation is unanswered and the publisher did not acknowledge it (or it
    was asked after they read the page)."""


def _unit_names(rows: Collection[Consultation]) -> str:
    return ", ".join(str(c.unit) for c in rows)


def _refuse_objections(post: Post) -> None:
    objected = Consultation.objects.holding(post).filter(
        answered_revision_id=post.current_revision_id
    )
    if objected.exists():
        raise TransitionRefused(
            _(
                "%(units)s objected to this revision: the urgent procedure skips a wait, not "
                "an objection. The author edits the post, or a reviewer asks for changes."
            )
            % {"units": _unit_names(list(objected.select_related("unit")))}
        )


def _acknowledged(
    post: Post, acknowledged: Collection[int], shown: Collection[int] | None
) -> list[Consultation]:
    """The unanswered blocking consultations, once each was acknowledged, else refuse.

    Checked with the post locked: a consultation asked after the page was read (not among
    ``shown``, or not acknowledged) refuses rather than being overridden unseen."""
    pending = list(blocking_unanswered(post))
    if shown is None:
        shown = acknowledged or {c.pk for c in pending}
    unseen = [c for c in pending if c.pk not in set(shown)]
    if unseen:
        raise ConsultationsNotAcknowledged(
            _(
                "Since you opened this page, %(units)s was asked a blocking question that is "
                "still unanswered: read it above, then confirm again to publish without its "
                "answer."
            )
            % {"units": _unit_names(unseen)}
        )
    unacknowledged = [c for c in pending if c.pk not in set(acknowledged)]
    if unacknowledged:
        raise ConsultationsNotAcknowledged(
            _(
                "The blocking consultation of %(units)s is still unanswered: tick the box to "
                "confirm you publish without its answer. The unit will be told, with your "
                "justification."
            )
            % {"units": _unit_names(unacknowledged)}
        )
    return pending


def _refuse_state(post: Post) -> None:
    if post.state == PostState.IN_REVIEW:
        return
    if post.state == PostState.CHANGES_REQUESTED:
        raise TransitionRefused(
            _(
                "A reviewer asked for changes on post #%(id)s: the author edits it and submits "
                "it again before the urgent procedure can be used."
            )
            % {"id": post.pk}
        )
    raise TransitionRefused(
        _("The urgent procedure applies to a post in review; post #%(id)s is %(state)s.")
        % {"id": post.pk, "state": post.get_state_display()}
    )


def _refuse_if_frozen(post: Post) -> None:
    active = Freeze.objects.filter(lifted_at__isnull=True)
    frozen = active.filter(Q(account__isnull=True) | Q(account__posts=post)).first()
    if frozen is not None:
        raise TransitionRefused(
            _(
                "Publishing is frozen on %(target)s: the urgent procedure does not override a "
                "freeze. Ask a publisher to lift it first."
            )
            % {"target": frozen.target}
        )


def _checked_revision(post: Post) -> Revision:
    """The current revision, once the charter (perhaps a newer version) passes it again."""
    revision = post.current_revision
    assert revision is not None
    report = check_charter(post, revision)
    if not report.ok:
        raise CharterRefused(report)
    revision.save(update_fields=["check_report"])
    return revision


def _skipped_steps(post: Post, *, by: User) -> tuple[list[dict[str, Any]], set[int]]:
    """The pending steps as they stand, and who owes their post-hoc review; refused when
    nobody would owe it."""
    record: list[dict[str, Any]] = []
    owed: set[int] = set()
    for status in policies.chain_status(post):
        if status.satisfied:
            continue
        approvers = set(status.rights) - {post.author_id, by.pk}
        owed |= approvers
        record.append(
            {
                "number": status.number,
                "name": status.step.name,
                "step_id": status.step.pk,
                "approvers": sorted(approvers),
            }
        )
    if not owed:
        raise TransitionRefused(
            _(
                "Nobody but you could approve the pending steps, so nobody could review this "
                "publication afterwards: ask another approver or an administrator."
            )
        )
    return record, owed


def _urgent_record(by: User, text: str, at: datetime, review: PostHocReview) -> dict[str, Any]:
    return {
        "id": by.pk,
        "name": str(by),
        "at": at.isoformat(),
        "step": "",
        "urgent": True,
        "justification": text,
        "posthoc_review": review.pk,
    }


@transaction.atomic
def post_publish_urgently(
    *,
    post: Post,
    by: User,
    justification: str,
    acknowledged: Collection[int] = (),
    shown: Collection[int] | None = None,
) -> PostHocReview:
    """Approve under the urgent procedure and schedule for now; open the post-hoc review.

    ``acknowledged``: the ids of the unanswered blocking consultations the publisher read and
    chose to publish past; each is closed as overridden and its unit told. ``shown``: the ids
    the page listed, so one asked since is refused in words of its own (None: not known).

    The byline names the urgent publisher among the approvers (with the justification), so
    the published record never reads as a completed chain.
    """
    post = lock_post(post.pk)
    _refuse_state(post)
    refusal = policies.urgent_refusal(post, by)
    if refusal:
        raise PermissionDenied(refusal)
    guard(post.approve_urgently, by, _("publish under the urgent procedure"))
    text = _clean_justification(justification)
    _refuse_if_frozen(post)
    _refuse_objections(post)
    overridden = _acknowledged(post, acknowledged, shown)
    revision = _checked_revision(post)
    skipped, owed = _skipped_steps(post, by=by)
    now = timezone.now()
    review = _open_review(post, revision, by=by, text=text, skipped=skipped, owed=owed, now=now)
    data = _urgent_event(revision, text, skipped, review, overridden)
    # Guarded above, before the justification and the consultations.
    transition(post, post.approve_urgently, by=by, verb="published_urgently", action=None, **data)
    consultations.consultations_override(post=post, consultations=overridden, review=review, by=by)
    _schedule_for_now(post, by=by, text=text, now=now, review=review)
    notifications.notify(
        post=post, kind=Notification.Kind.POSTHOC_DUE, recipients=owed, message=text
    )
    return review


def _urgent_event(
    revision: Revision,
    text: str,
    skipped: list[dict[str, Any]],
    review: PostHocReview,
    overridden: Collection[Consultation],
) -> dict[str, Any]:
    """The audit event's data: what was published past what, and the review it owes."""
    return {
        "revision": revision.number,
        "content_hash": revision.content_hash,
        "justification": text,
        "skipped_steps": [s["name"] for s in skipped],
        "posthoc_review": review.pk,
        "due_at": review.due_at.isoformat(),
        "overridden_consultations": [str(c.unit) for c in overridden],
    }


def _schedule_for_now(
    post: Post, *, by: User, text: str, now: datetime, review: PostHocReview
) -> None:
    """Scheduled for now, through the one writer of the schedule: same re-check, same byline,
    with the urgent publisher among the approvers (with the justification), so the published
    record never reads as a completed chain."""
    urgent = _urgent_record(by, text, now, review)
    approvals = [approver_record(a) for a in policies.current_approvals(post)]
    schedule_post(
        post, by=by, at=now, approvers=[*approvals, urgent], urgent=urgent, action=_("schedule")
    )


def _open_review(
    post: Post,
    revision: Revision,
    *,
    by: User,
    text: str,
    skipped: list[dict[str, Any]],
    owed: set[int],
    now: datetime,
) -> PostHocReview:
    review = PostHocReview.objects.create(
        post=post,
        revision=revision,
        urgent_by=by,
        justification=text,
        skipped_steps=skipped,
        created_at=now,
        due_at=now + timedelta(hours=float(settings.POSTHOC_REVIEW_HOURS)),
    )
    review.approvers.set(owed)
    return review

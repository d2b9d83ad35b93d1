"""Scheduling: the only writer of ``Post.schedule()`` and of the frozen byline; the
re-check as the post would go out; the retry of a failed post."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from editorial import policies, recheck
from editorial.models import (
    Post,
    PostState,
)
from editorial.policies import reschedule
from editorial.services.reapproval import reschedule_for_approval
from editorial.services.review import (
    approver_record,
)
from editorial.snapshots import post_byline
from editorial.workflow import (
    EditorialError,
    TransitionRefused,
    guard,
    lock_post,
    transition,
)


class ScheduleRefused(EditorialError):
    """The charter's time- or account-dependent rules refuse the post at that moment."""

    def __init__(self, verdict: recheck.Verdict) -> None:
        super().__init__(recheck.schedule_refusal(verdict))
        self.verdict = verdict


def refuse_unless_fit(post: Post, *, at: datetime) -> None:
    """Scheduling (and the urgent procedure) re-checks the post as it would go out at ``at``:
    the silence, the embargo, the accounts and their bylines now, not at submission."""
    verdict = recheck.post_recheck(post, at=at)
    if not verdict.ok:
        raise ScheduleRefused(verdict)


@transaction.atomic
def post_schedule(*, post: Post, by: User, at: datetime | None = None) -> Post:
    """Schedule an approved post and freeze its byline: who speaks, who approved, which charter.

    ``at`` None means as soon as possible (the next scheduler tick). A post moved to a time
    its approval policy wants approved again goes back to review instead
    (``reschedule_for_approval``: the returned post is then in review).
    """
    post = lock_post(post.pk)
    guard(post.schedule, by, _("schedule"))
    approvals = policies.current_approvals(post)
    if not approvals:
        # An approval covers exactly one content hash; no approval of this content, no schedule.
        raise TransitionRefused(_("This content has not been approved: submit it for review."))
    now = timezone.now()
    when = at or now
    if when < now - timedelta(minutes=1):
        raise EditorialError(_("The publication time is in the past: choose a later time."))
    rule = reschedule.reschedule_rule(post)
    approved_for = reschedule.approved_time(post)
    if reschedule.needs_reapproval(rule, approved_for=approved_for, at=when, asap=at is None):
        reschedule_for_approval(post, by=by, at=when, approved_for=approved_for, rule=rule)
        return post
    # A scheduled post moved to another time (the calendar, the post page): the trail keeps
    # the time it leaves.
    moved_from = post.scheduled_at if post.state == PostState.SCHEDULED else None
    # Guarded above, before the approvals and the time: refused as a post that cannot be
    # scheduled first.
    approvers = [approver_record(a) for a in approvals]
    try:
        schedule_post(post, by=by, at=when, approvers=approvers, moved_from=moved_from)
    except ScheduleRefused as refused:
        # Only the tier is missing (a pre-electoral period): a policy that approves moves
        # again sends it to the political tier's approvers rather than refusing the time.
        if not rule.reapproves or refused.verdict.rules != (recheck.TIER,):
            raise
        reschedule_for_approval(post, by=by, at=when, approved_for=approved_for, rule=rule)
    return post


def schedule_post(
    post: Post,
    *,
    by: User,
    at: datetime,
    approvers: list[dict[str, Any]],
    urgent: dict[str, Any] | None = None,
    action: str | None = None,
    moved_from: datetime | None = None,
) -> None:
    """The one writer of ``Post.schedule()``, for ``post_schedule`` and the urgent procedure:
    re-check the post as it would go out (at ``at``, or now if later: the urgent procedure
    skips approvals, never the electoral silence), freeze its byline with ``approvers``
    (and the ``urgent`` record), take the transition and audit it.

    The caller locked the post and checked what it asks for; ``action`` as for
    ``workflow.transition`` (None: the caller guarded ``post.schedule`` itself).
    """
    refuse_unless_fit(post, at=max(at, timezone.now()))
    post.hold_reason = ""
    post.hold_verdict = {}
    post.scheduled_at = at
    post.scheduled_by = by
    post.byline_record = byline_record(post, by=by, approvers=approvers)
    marks: dict[str, Any] = {}
    if urgent is not None:
        post.byline_record["urgent"] = urgent
        marks["urgent"] = True
    if moved_from is not None:
        marks["moved_from"] = moved_from.isoformat()
    post.last_error = ""
    transition(
        post, post.schedule, by=by, verb="scheduled", action=action, at=at.isoformat(), **marks
    )


def byline_record(post: Post, *, by: User, approvers: list[dict[str, Any]]) -> dict[str, Any]:
    """What scheduling freezes: who speaks, who approved, who scheduled, under which charter."""
    revision = post.current_revision
    assert revision is not None
    bylines = {a: post_byline(a, post) for a in post.accounts.all()}
    return {
        "unit": post.unit.code.upper(),
        "unit_name": post.unit.name,
        "author": {
            "id": post.author_id,
            "name": str(post.author),
            "initials": post.author.get_initials(),
        },
        "approvers": approvers,
        "scheduled_by": {"id": by.pk, "name": str(by)},
        "charter": revision.check_report.get("charter", ""),
        "charter_version_id": revision.check_report.get("charter_version_id"),
        "revision": revision.number,
        "content_hash": revision.content_hash,
        # The charter findings lifted on this revision, with who lifted them.
        "waivers": [
            {
                "rule": w.rule,
                "category": w.category,
                "by": {"id": w.granted_by_id, "name": str(w.granted_by)},
            }
            for w in revision.waivers.select_related("granted_by")
        ],
        # Per account: "bylines" is what the publisher appends, "signatures" what people read.
        "bylines": {str(a.pk): line for a, line in bylines.items()},
        "signatures": [{"account": str(a), "byline": line} for a, line in bylines.items()],
    }


@transaction.atomic
def post_retry(*, post: Post, by: User) -> Post:
    post = lock_post(post.pk)
    guard(post.retry, by, _("retry"))
    now = timezone.now()
    refuse_unless_fit(post, at=now)
    post.scheduled_at = now
    # Guarded above, before the re-check.
    transition(post, post.retry, by=by, verb="retry", action=None)
    return post

"""A post moved by a publisher to a time its approvals do not cover goes back to review.

The approval policy says when (``editorial.policies.reschedule``); ``post_schedule`` decides
and calls ``reschedule_for_approval`` instead of scheduling. The mechanism is an edit's
(``back_to_review``): the requested time is part of what an approval covers (the revision's
content hash), so a new revision with the new time is made, in the publisher's name, the
approvals of the previous one stay in the history without counting, the charter judges the
new revision at its new time (a pre-electoral period raises it to the political tier), and the
open step's approvers are told as for a new submission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import User
from editorial import policies, recheck
from editorial.models import Notification, Post, RescheduleRule, Revision
from editorial.policies.reschedule import Rule
from editorial.services import notifications
from editorial.services.review import check_charter, raise_tier_for_charter
from editorial.services.revisions import kept_media, new_revision
from editorial.workflow import EditorialError, TransitionRefused, transition


def reschedule_for_approval(
    post: Post, *, by: User, at: datetime, approved_for: datetime | None, rule: Rule
) -> None:
    """Send the locked ``post`` back to review for ``at``, with what ``rule`` asked for in
    the audit event. Refused in words (nothing changed) when the charter blocks the post at
    that time or nobody could approve it."""
    unscheduled = post.scheduled_at.isoformat() if post.scheduled_at else ""
    tier_before = post.tier
    revision = _revision_for(post, at=at, by=by)
    _judge(post, revision)
    # Off the schedule until approved again: the frozen byline named the old approvers.
    post.scheduled_at = None
    post.scheduled_by = None
    post.byline_record = {}
    post.hold_reason = ""
    post.hold_verdict = {}
    transition(
        post,
        post.reopen_for_new_time,
        by=by,
        verb="rescheduled_for_approval",
        action=_("move"),
        revision=revision.number,
        at=at.isoformat(),
        moved_from=approved_for.isoformat() if approved_for else "",
        unscheduled=unscheduled,
        reschedule_rule=str(rule.rule),
        from_tier=tier_before,
        to_tier=post.tier,
        **_tolerance(rule),
    )
    _tell(post, revision, by=by)


def _tolerance(rule: Rule) -> dict[str, Any]:
    if rule.rule != RescheduleRule.TOLERANCE:
        return {}
    return {"tolerance_minutes": int(rule.tolerance.total_seconds() // 60)}


def _revision_for(post: Post, *, at: datetime, by: User) -> Revision:
    """The current content again, asked for ``at``: its hash differs, so the approvals of
    the previous revision no longer count (``policies.current_approvals``)."""
    previous = post.current_revision
    assert previous is not None
    post.requested_publish_at = at
    # Judged at the new time, not where it was booked (``snapshot_for_revision``).
    post.scheduled_at = None
    return new_revision(
        post,
        text=previous.text,
        language=previous.language,
        media=kept_media(previous, None),
        by=by,
        embargo_until=previous.embargo_until,
        source=previous.source,
        network=previous.network_options,
        thread=previous.thread or (),
    )


def _judge(post: Post, revision: Revision) -> None:
    """The charter on the new revision at its time: blocking findings refuse the move (a
    publisher's drag never sends the author's post back to draft); a finding that asks for a
    higher tier raises it, so that tier's approvers review it."""
    report = check_charter(post, revision)
    revision.save(update_fields=["check_report"])
    if not report.ok:
        raise EditorialError(
            _("Not moved: at %(when)s the charter would refuse this post. %(reasons)s")
            % {
                "when": recheck.moment_words(revision.requested_publish_at or post.created_at),
                "reasons": " ".join(f.message for f in report.blocking),
            }
        )
    raise_tier_for_charter(post, revision, report)
    problems = policies.chain_problems(post)
    if problems:
        raise TransitionRefused(" ".join(problems))


def _tell(post: Post, revision: Revision, *, by: User) -> None:
    """The open step's approvers, as for a new submission; the units consulted, whose
    answers covered the previous revision; the author, whose approved post is in review
    again without their doing."""
    notifications.notify(
        post=post,
        kind=Notification.Kind.MOVED_TO_REVIEW,
        recipients={post.author_id} - {by.pk},
        message=_(
            "%(who)s moved it to %(when)s: its approvals covered the time it was approved "
            "for, so it is back in review as revision %(n)s."
        )
        % {
            "who": by.get_full_name() or by.get_username(),
            "when": recheck.moment_words(revision.requested_publish_at or post.created_at),
            "n": revision.number,
        },
    )
    notifications.notify(
        post=post,
        kind=Notification.Kind.SUBMITTED,
        recipients=notifications.open_step_approvers(post) - {by.pk},
    )
    notifications.notify(
        post=post,
        kind=Notification.Kind.CONSULTATION_REQUESTED,
        recipients=notifications.units_to_ask_again(post) - {by.pk},
        message=_("Revision %(n)s moves the post to another time: answer again.")
        % {"n": revision.number},
    )

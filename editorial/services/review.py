"""Review: submit, approve (step by step), request changes, and the return to review when an
author edits a post already submitted. The charter runs at each of these steps."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from charter.engine import CheckReport
from charter.rules import Finding
from editorial import policies
from editorial.models import (
    Approval,
    Comment,
    Consultation,
    Notification,
    Post,
    Revision,
    Waiver,
)
from editorial.services import notifications
from editorial.services.revisions import (
    revision_hash,
)
from editorial.snapshots import charter_check, snapshot_for_revision
from editorial.workflow import (
    CharterRefused,
    EditorialError,
    TransitionRefused,
    audit,
    guard,
    lock_post,
    transition,
)


def check_charter(post: Post, revision: Revision) -> CheckReport:
    """Run the charter on a revision and keep its verdict on the revision (not yet saved).

    The revision's waivers lift their rules' findings: kept in the report, marked with who
    waived them and why, and no longer blocking.
    """
    waivers = {w.rule: w for w in revision.waivers.select_related("granted_by")}
    report = charter_check(
        snapshot_for_revision(post, revision),
        unit=post.unit,
        accounts=list(post.accounts.all()),
        waived=frozenset(waivers),
    )
    revision.check_report = {
        "charter_version_id": report.charter_version_id,
        "charter": report.charter_label,
        "findings": [_finding_record(f, waivers.get(f.rule)) for f in report.findings],
    }
    return report


def _finding_record(finding: Finding, waiver: Waiver | None) -> dict[str, Any]:
    record = {**dataclasses.asdict(finding), "severity": str(finding.severity)}
    if finding.waived and waiver is not None:
        record["waiver"] = {
            "id": waiver.pk,
            "category": waiver.category,
            "category_label": str(waiver.get_category_display()),
            "by": {"id": waiver.granted_by_id, "name": str(waiver.granted_by)},
        }
    return record


def raise_tier_for_charter(post: Post, revision: Revision, report: CheckReport) -> None:
    """A finding may demand a higher tier (an election window needs the electoral referent):
    raise the post to it, so the steps of that tier apply. The tier is part of what an
    approval covers, so the revision's hash changes and earlier approvals stop counting."""
    raised = policies.charter_tier(post, report)
    if raised is None:
        return
    needed, rules = raised
    before = post.tier
    post.tier = needed
    revision.tier = needed
    revision.content_hash = revision_hash(post, revision)
    revision.save(update_fields=["tier", "content_hash"])
    post.save(update_fields=["tier", "updated_at"])
    audit(
        post,
        "tier_raised",
        actor=None,
        revision=revision.number,
        from_tier=before,
        to_tier=needed,
        rules=rules,
    )


def back_to_review(post: Post, revision: Revision, *, by: User, previous_hash: str) -> None:
    """An edit after submission (in review, approved, scheduled) sends the post back to review:
    approvals stay in the history but were given to another content hash, so they no longer
    count, and a scheduled post leaves the schedule. The charter runs again; if it blocks the
    new revision, the post goes back to draft with the findings on the revision."""
    report = check_charter(post, revision)
    revision.save(update_fields=["check_report"])
    if report.ok:
        raise_tier_for_charter(post, revision, report)
    unscheduled = post.scheduled_at.isoformat() if post.scheduled_at else ""
    # Off the schedule until approved again: the frozen byline named the old approvers.
    post.scheduled_at = None
    post.scheduled_by = None
    post.byline_record = {}
    transition(
        post,
        post.reopen if report.ok else post.return_to_draft,
        by=by,
        verb="resubmitted" if report.ok else "returned_to_draft",
        action=_("edit"),
        revision=revision.number,
        charter=report.charter_label,
        unscheduled=unscheduled,
        findings=[f.message for f in report.findings],
    )
    if report.ok:
        # Back in review: the approvers must read the new content (back to draft, they will
        # hear of it when the author submits it again).
        notifications.notify(
            post=post,
            kind=Notification.Kind.REREVIEW,
            recipients=notifications.rereview_recipients(post, previous_hash, by=by),
        )


@transaction.atomic
def post_submit(*, post: Post, by: User) -> CheckReport:
    """Run the charter and send the post for review; a blocking finding keeps it a draft."""
    post = lock_post(post.pk)
    guard(post.submit, by, _("submit"))
    revision = post.current_revision
    assert revision is not None
    report = check_charter(post, revision)
    if not report.ok:
        # Rolled back with the transaction: the draft stays exactly as it was.
        raise CharterRefused(report)
    raise_tier_for_charter(post, revision, report)
    problems = policies.chain_problems(post)
    if problems:
        # Nobody could approve it: refuse now rather than leave it waiting forever.
        raise TransitionRefused(" ".join(problems))
    revision.save(update_fields=["check_report"])
    # Guarded above, before the charter: a post that cannot be submitted is refused as such.
    transition(
        post,
        post.submit,
        by=by,
        verb="submitted",
        action=None,
        revision=revision.number,
        charter=report.charter_label,
        warnings=[f.message for f in report.findings],
    )
    notifications.notify(
        post=post,
        kind=Notification.Kind.SUBMITTED,
        recipients=notifications.open_step_approvers(post),
    )
    return report


@transaction.atomic
def post_approve(*, post: Post, by: User, revision: int | None = None) -> Approval | None:
    """Approve the open step of the chain for the current content.

    ``revision`` is the number the approver read: a newer one is refused, never approved
    unseen. The post becomes approved once every step is satisfied; until then it stays in
    review and the next step opens. None when the chain was already complete (a policy changed
    during the review) and this only moves the post on.
    """
    post = lock_post(post.pk)
    guard(post.approve, by, _("approve"), review=True)
    current = post.current_revision
    assert current is not None
    _refuse_unseen_revision(current, seen=revision)
    open_step = policies.open_step(policies.chain_status(post))
    opened_before = open_step.number if open_step else None
    approval, step_data = _record_approval(post, current, open_step, by=by)
    statuses = policies.chain_status(post)
    complete = policies.is_complete(statuses)
    # A blocking consultation without agreement on this revision keeps the post in review.
    waiting = [str(c.unit) for c in Consultation.objects.holding(post).select_related("unit")]
    if complete and waiting:
        step_data["waiting_for_consultations"] = waiting
    approved = complete and not waiting
    # Guarded above: the approval just recorded closed this approver's step, so asking again
    # who may approve would now refuse them.
    transition(
        post,
        post.approve if approved else post.approve_step,
        by=by,
        verb="approved" if approved else "step_approved",
        action=None,
        on_behalf_of=approval.as_deputy_of if approval else None,
        revision=current.number,
        content_hash=current.content_hash,
        **step_data,
    )
    _notify_approval(post, statuses, opened_before=opened_before, by=by, approved=approved)
    return approval


def _refuse_unseen_revision(current: Revision, *, seen: int | None) -> None:
    """An approval covers the revision the approver read: a newer one is never approved unseen."""
    if seen is not None and seen != current.number:
        raise TransitionRefused(
            _(
                "The author saved revision %(current)s after you opened revision %(seen)s: "
                "read it before approving."
            )
            % {"current": current.number, "seen": seen}
        )


def _record_approval(
    post: Post, revision: Revision, open_step: policies.StepStatus | None, *, by: User
) -> tuple[Approval | None, dict[str, Any]]:
    """The approval of the open step (none when the chain was already complete), and what
    the audit event says of the step."""
    if open_step is None:
        return None, {}
    deputy_of = open_step.rights[by.pk]
    approval = Approval.objects.create(
        post=post,
        revision=revision,
        approver=by,
        content_hash=revision.content_hash,
        step=open_step.step if open_step.step.pk else None,
        as_deputy_of_id=deputy_of,
    )
    step_data: dict[str, Any] = {"step": open_step.step.name, "step_number": open_step.number}
    if open_step.step.pk:
        step_data["step_id"] = open_step.step.pk
    if approval.as_deputy_of is not None:
        step_data["as_deputy_of"] = {"id": deputy_of, "name": str(approval.as_deputy_of)}
    return approval, step_data


def _notify_approval(
    post: Post,
    statuses: list[policies.StepStatus],
    *,
    opened_before: int | None,
    by: User,
    approved: bool,
) -> None:
    """The author hears of the approval, and who can schedule it that it waits for them; the
    next step's approvers, of its turn."""
    if approved:
        notifications.notify_many(notifications.approved_notes(post, by=by))
        return
    step = policies.open_step(statuses)
    if step is not None and step.number != opened_before:
        notifications.notify(
            post=post,
            kind=Notification.Kind.SUBMITTED,
            recipients=set(step.rights) - {post.author_id, by.pk},
        )


@transaction.atomic
def post_request_changes(*, post: Post, by: User, comment: str) -> Comment:
    post = lock_post(post.pk)
    if not comment.strip():
        raise EditorialError(_("Say what to change: a comment is required."))
    guard(post.request_changes, by, _("request changes on"), review=True)
    # A rejection at step k also informs those who approved the steps before it.
    earlier = notifications.earlier_step_approvers(policies.chain_status(post))
    note = Comment.objects.create(
        post=post, revision=post.current_revision, author=by, body=comment.strip()
    )
    transition(
        post,
        post.request_changes,
        by=by,
        verb="changes_requested",
        action=None,
        comment=note.body,
    )
    notifications.notify(
        post=post,
        kind=Notification.Kind.CHANGES_REQUESTED,
        recipients=({post.author_id} | earlier) - {by.pk},
        message=note.body,
    )
    return note


def approver_record(approval: Approval) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": approval.approver_id,
        "name": str(approval.approver),
        "at": approval.created_at.isoformat(),
        "step": approval.step.name if approval.step else "",
    }
    if approval.as_deputy_of is not None:
        record["as_deputy_of"] = {
            "id": approval.as_deputy_of_id,
            "name": str(approval.as_deputy_of),
        }
    return record

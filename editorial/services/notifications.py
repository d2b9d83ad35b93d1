"""Who hears of a post's progress. Called by ``editorial.services`` inside their transaction,
so a notification exists exactly when the change it reports was committed.

E-mails are queued once the transaction commits (``email_delivery.enqueue``, whose task sends
on commit) and sent by a worker: a change rolled back sends nothing, the request never waits
for the mail server, and a mail server that fails cannot undo a committed change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import Membership, User
from editorial import email_delivery, policies
from editorial.models import Approval, Consultation, Notification, Post

Kind = Notification.Kind


@dataclass(frozen=True)
class Note:
    """One notification to send: for ``notify_many``."""

    post: Post
    kind: Kind
    recipients: Iterable[int | None]
    message: str = ""
    # What rebuilds the message in each reader's language (see ``Notification.data``).
    data: dict[str, Any] | None = None


def notify(*, post: Post, kind: Kind, recipients: Iterable[int | None], message: str = "") -> None:
    notify_many([Note(post, kind, recipients, message)])


def notify_many(notes: Iterable[Note]) -> None:
    """Insert the notifications together, and queue their e-mails after commit in one task."""
    rows = [
        Notification(recipient_id=r, post=n.post, kind=n.kind, message=n.message, data=n.data or {})
        for n in notes
        for r in sorted({r for r in n.recipients if r is not None})
    ]
    if not rows:
        return
    created = Notification.objects.bulk_create(rows)
    email_delivery.enqueue([n.pk for n in created])


def open_step_approvers(post: Post) -> set[int]:
    """Everyone who may approve the open step now (deputies included), never the author."""
    step = policies.open_step(policies.chain_status(post))
    if step is None:
        return set()
    return set(step.rights) - {post.author_id}


def earlier_step_approvers(statuses: list[policies.StepStatus]) -> set[int]:
    """Who approved the steps before the open one (for the current content)."""
    step = policies.open_step(statuses)
    if step is None:
        return set()
    return {a.approver_id for s in statuses if s.number < step.number for a in s.approvals}


def outcome_recipients(post: Post) -> set[int | None]:
    """The author, the approvers and whoever scheduled, as frozen at scheduling."""
    record = post.byline_record
    approvers = {a.get("id") for a in record.get("approvers", [])}
    return {post.author_id, post.scheduled_by_id, *approvers}


def failure_recipients(post: Post) -> set[int | None]:
    """Who must hear that a publication failed: the author, the approvers and whoever
    scheduled, and the publishers of its accounts, who can retry or take over."""
    publishers: set[int | None] = set()
    for account in post.accounts.all():
        if account.is_active:
            publishers |= set(permissions.users_with(permissions.Perm.PUBLISH, account))
        else:
            # A deactivated account holds no rows any more: its publishers are those its
            # memberships and grants name, who held the right until it was deactivated and
            # must hear that its posts are held.
            publishers |= permissions.users_explained(permissions.Perm.PUBLISH, account)
    return outcome_recipients(post) | publishers


def schedulers(post: Post) -> set[int]:
    """Who can schedule the post now: the publishers of every one of its accounts (the
    ``schedule`` transition asks for the publish right on each). When nobody holds it on all
    of them, the publishers of any: someone must hear that the post waits for them."""
    per_account = [permissions.users_with(permissions.Perm.PUBLISH, a) for a in post.accounts.all()]
    if not per_account:
        return set()
    return set.intersection(*per_account) or set.union(*per_account)


def approved_notes(post: Post, *, by: User | None) -> list[Note]:
    """A post just became approved: the author hears it, and those who can schedule it (the
    author usually cannot) hear that it waits for them. ``by`` acted and needs no telling."""
    acted = {by.pk} if by is not None else set()
    return [
        Note(post, Kind.APPROVED, {post.author_id}),
        Note(post, Kind.READY_TO_SCHEDULE, schedulers(post) - {post.author_id} - acted),
    ]


def rereview_recipients(post: Post, previous_hash: str, *, by: User) -> set[int]:
    """After an edit sent the post back to review: the approvers of the open step, and who
    approved the revision it replaces (their approval no longer counts), never the editor."""
    approved = Approval.objects.filter(post=post, content_hash=previous_hash)
    return (open_step_approvers(post) | set(approved.values_list("approver_id", flat=True))) - {
        by.pk
    }


def units_to_ask_again(post: Post) -> set[int]:
    """Members of the units whose answer covered an earlier revision than the current one."""
    units = Consultation.objects.unanswered().filter(post=post, answered_revision__isnull=False)
    members = Membership.objects.filter(unit__in=units.values("unit_id"), user__is_active=True)
    return set(members.values_list("user_id", flat=True))


@transaction.atomic
def notifications_mark_read(*, by: User) -> int:
    """Mark every unread notification of ``by`` as read; how many were."""
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(
        read_at=timezone.now()
    )

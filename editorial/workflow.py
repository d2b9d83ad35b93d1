"""The editorial kernel: the errors every service raises, the post lock, the guard that
refuses a transition in words, the audit chain's append, and ``transition``.

Every write on a post locks its row (``lock_post``), checks the transition (``guard``: state,
then who may), changes, and appends its audit event (``audit``), in one transaction. Every
transition of a ``Post`` goes through ``transition`` (or, for the publisher's batches,
``transition_entry``), called by exactly one service per transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from accounts.models import User
from charter.engine import CheckReport
from editorial import policies
from editorial.audit import digest_of, event_mac
from editorial.models import (
    AuditChainHead,
    AuditEvent,
    Post,
)


class EditorialError(Exception):
    """A refusal with a message that says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransitionRefused(EditorialError):
    pass


class AlreadyCreated(EditorialError):
    """The form that creates a post was sent again: ``post`` is the one it already created."""

    def __init__(self, post: Post) -> None:
        super().__init__(
            _("This form was already sent: the post it created is shown, nothing was added.")
        )
        self.post = post


class EditConflict(EditorialError):
    def __init__(self, message: str, *, current_revision: int) -> None:
        super().__init__(message)
        self.current_revision = current_revision


class CharterRefused(EditorialError):
    def __init__(self, report: CheckReport) -> None:
        reasons = "; ".join(f.message for f in report.blocking)
        super().__init__(_("The charter refuses this draft: %(reasons)s") % {"reasons": reasons})
        self.report = report


@dataclass(frozen=True)
class AuditEntry:
    """One event to append: what ``audit`` takes, for appending several under one lock."""

    post: Post | None
    verb: str
    actor: User | None
    from_state: str = ""
    to_state: str = ""
    on_behalf_of: User | None = None
    data: dict[str, Any] = field(default_factory=dict)


def audit(
    post: Post | None,
    verb: str,
    *,
    actor: User | None,
    from_state: str = "",
    to_state: str = "",
    on_behalf_of: User | None = None,
    **data: Any,
) -> AuditEvent:
    """Append one event to the hash chain, inside the caller's transaction."""
    entry = AuditEntry(post, verb, actor, from_state, to_state, on_behalf_of, data)
    return audit_many([entry])[0]


def audit_many(entries: list[AuditEntry]) -> list[AuditEvent]:
    """Append events to the hash chain in order, inside the caller's transaction.

    The chain head row stays locked until the caller commits, so appends are serialised and
    two transactions can never extend the same link (on SQLite the IMMEDIATE transaction
    already holds the database's write lock). No savepoint: a failed append fails the
    caller's whole change, which must never commit without its audit event. Several events
    take the lock once and are inserted together: the publisher records a batch of outcomes
    this way, and the lock is what every writer of the chain queues on.
    """
    if not entries:
        return []
    with transaction.atomic(savepoint=False):
        head = _lock_chain_head()
        events: list[AuditEvent] = []
        seq, prev = head.seq, head.hash
        for entry in entries:
            seq += 1
            event = _chained(entry, seq=seq, prev=prev)
            prev = event.hash
            events.append(event)
        if len(events) == 1:
            events[0].save(force_insert=True)
        else:
            AuditEvent.objects.bulk_create(events)
        head.seq, head.hash = seq, prev
        head.save(update_fields=["seq", "hash"])
    return events


def _lock_chain_head() -> AuditChainHead:
    """The chain head row, locked until the caller commits."""
    heads = AuditChainHead.objects.select_for_update()
    head = heads.filter(pk=AuditChainHead.ROW).first()
    if head is None:
        # The migration creates the row; a flushed database has none: resume after the
        # last event (get_or_create settles a race between two first appends).
        last = AuditEvent.objects.order_by("-seq").first()
        head, _created = heads.get_or_create(
            pk=AuditChainHead.ROW,
            defaults={"seq": last.seq, "hash": last.hash} if last else {},
        )
    return head


def _chained(entry: AuditEntry, *, seq: int, prev: str) -> AuditEvent:
    """The event for ``entry`` at ``seq`` after ``prev``, hashed and sealed (not saved)."""
    event = AuditEvent(
        seq=seq,
        prev_hash=prev,
        post=entry.post,
        actor=entry.actor,
        on_behalf_of=entry.on_behalf_of,
        verb=entry.verb,
        from_state=entry.from_state,
        to_state=entry.to_state,
        data=entry.data,
        # Taken under the lock, so created_at follows seq; hashed as stored.
        created_at=timezone.now(),
    )
    event.hash = digest_of(event)
    event.mac = event_mac(settings.AUDIT_HMAC_KEY, seq=seq, hash=event.hash)
    return event


def audit_record(*, verb: str, actor: User | None, **data: Any) -> AuditEvent:
    """An event about the organisation rather than a post (an account connected, tested...),
    on the same hash chain, for the apps that have no audit trail of their own."""
    return audit(None, verb, actor=actor, **data)


def lock_post(post_id: int) -> Post:
    # Lock first, read second. A locking read that had to wait re-reads the post row as the
    # other writer committed it, but rows joined in the same statement (select_related) come
    # from the statement's older snapshot: a revision the other writer just created would be
    # missing. The second query starts a new snapshot that sees everything committed.
    Post.objects.select_for_update().filter(pk=post_id).values_list("pk").get()
    post: Post = Post.objects.select_related(
        "author", "unit", "current_revision", "scheduled_by"
    ).get(pk=post_id)
    return post


def may(method: Any, user: User) -> bool:
    """Whether the UI should offer this transition to this user (the service re-checks)."""
    return bool(can_proceed(method) and has_transition_perm(method, user))


def guard(method: Any, user: User | None, action: str, *, review: bool = False) -> None:
    """Refuse with words: wrong state first, then who may do it."""
    post: Post = method.__self__
    if not can_proceed(method):
        raise TransitionRefused(
            _("Cannot %(action)s post #%(id)s while it is %(state)s.")
            % {"action": action, "id": post.pk, "state": post.get_state_display()}
        )
    if user is not None and not has_transition_perm(method, user):
        if review and post.author_id == user.pk:
            raise PermissionDenied(_("You cannot review your own post (four-eyes rule)."))
        reason = policies.approval_refusal(post, user) if method.__name__ == "approve" else None
        if reason:
            raise PermissionDenied(reason)
        raise PermissionDenied(
            _("You are not allowed to %(action)s post #%(id)s.") % {"action": action, "id": post.pk}
        )


def transition(
    post: Post,
    method: Any,
    *,
    by: User | None,
    verb: str,
    action: str | None,
    review: bool = False,
    on_behalf_of: User | None = None,
    **data: Any,
) -> AuditEvent:
    """Take one transition of ``post`` and record it: guard, change, save, audit event.

    ``method`` is the django-fsm transition bound to ``post``, which the caller locked with
    ``lock_post`` before its own checks (a check made on an unlocked row could be stale by
    the change). Whatever else the service changes on the post is set before the call: the
    one save writes it with the new state, in the same transaction as the audit event.

    ``action`` words the refusal (``guard``); None when the service guarded this very
    transition itself before its own checks: because their refusals must not come first,
    or because what it prepares changes who may (an approval closes its approver's step).
    ``by`` None: nobody acts (the publisher); ``on_behalf_of`` names who the change is
    recorded for.
    """
    if not transaction.get_connection().in_atomic_block:
        # Outside the service's transaction, the lock (and the checks made under it) are gone.
        raise RuntimeError("Lock the post with lock_post in the service's transaction first.")
    with transaction.atomic(savepoint=False):
        entry = transition_entry(
            post,
            method,
            by=by,
            verb=verb,
            action=action,
            review=review,
            on_behalf_of=on_behalf_of,
            **data,
        )
        post.save()
        return audit_many([entry])[0]


def transition_entry(
    post: Post,
    method: Any,
    *,
    by: User | None,
    verb: str,
    action: str | None,
    review: bool = False,
    on_behalf_of: User | None = None,
    **data: Any,
) -> AuditEntry:
    """The first half of ``transition``, for the publisher's batches: guard and change the
    post in memory, and return its audit event; the caller writes the posts (with a
    conditional update: another tick may have moved one) and appends the events together
    with ``audit_many``, taking the chain's lock once."""
    if method.__self__ is not post:
        raise ValueError("The transition must be bound to the post it changes.")
    if action is not None:
        guard(method, by, action, review=review)
    source = post.state
    method()
    return AuditEntry(
        post,
        verb,
        actor=by,
        from_state=source,
        to_state=post.state,
        on_behalf_of=on_behalf_of,
        data=data,
    )

"""What ``publishing`` calls: start due posts, hold the ones the re-check refuses, and record
the outcomes, late holds and remote deletions. No human acts: the one who scheduled is
recorded."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from accounts.models import User
from editorial import failures, recheck, selectors
from editorial.models import (
    Notification,
    Post,
    PostState,
)
from editorial.services import notifications
from editorial.snapshots import post_byline
from editorial.workflow import (
    AuditEntry,
    audit,
    audit_many,
    guard,
    lock_post,
    transition_entry,
)


def posts_claim_due(*, horizon: datetime, limit: int) -> list[Post]:
    """Claim the scheduled posts due by ``horizon`` (at most ``limit``, the soonest first)
    and move them to publishing; the ones that moved, still locked by the caller's
    transaction, in which the publisher creates their publications.

    ``skip_locked``: a second beat (or a slow tick) passes over posts another tick holds.
    A frozen post stays scheduled: it is picked up by the first tick after the lift.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("posts_claim_due keeps its locks until the caller's commit.")
    due = list(
        selectors.without_frozen(
            Post.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("current_revision", "scheduled_by", "unit", "author")
            .filter(state=PostState.SCHEDULED, scheduled_at__lte=horizon)
        )
        .prefetch_related("accounts")
        .order_by("scheduled_at")[:limit]
    )
    # Together: one audit append and one insert for the whole tick, not per post.
    return posts_start_publishing(posts=due)


def post_start_publishing(*, post: Post) -> None:
    """Move a due post to publishing. The caller holds the row lock (the scheduler's claim).

    A post the re-check holds is left held (audited, its people told), not an error."""
    guard(post.start_publishing, None, _("publish"))
    if not posts_start_publishing(posts=[post]) and post.state != PostState.HELD:
        raise ConcurrentTransition(f"Post #{post.pk} was moved by someone else.")


def posts_start_publishing(*, posts: Sequence[Post]) -> list[Post]:
    """Move due posts to publishing, the ones that moved. The caller holds the row locks
    (the scheduler's claim); the audit events take the chain's lock once for all of them.

    Each post is re-checked first (``editorial.recheck``) as it would go out: at its time (or
    now, if later) with its accounts as they are now. One that a blocking rule would now
    refuse (an electoral silence declared since, a longer byline, a deactivated account) is
    held instead, its people told, and nothing of it is handed to the publisher.
    """
    started: list[Post] = []
    events: list[AuditEntry] = []
    notes: list[notifications.Note] = []
    now = timezone.now()
    checker = recheck.Rechecker()
    checker.prime(posts)
    for post in posts:
        if not can_proceed(post.start_publishing):
            continue
        verdict = checker.verdict(post, at=max(post.scheduled_at or now, now))
        if not verdict.ok:
            _hold(post, verdict, actor=None, now=now, events=events, notes=notes)
            continue
        entry = _start(post, now=now)
        if entry is not None:
            started.append(post)
            events.append(entry)
    audit_many(events)
    notifications.notify_many(notes)
    return started


def _start(post: Post, *, now: datetime) -> AuditEntry | None:
    """Move one due post to publishing. It carries its accounts' current bylines, the ones the
    re-check measured; its audit event is for the caller to write with the others. None if
    it is no longer scheduled in the database (another tick moved it first): left out."""
    source = post.state
    refreshed = _refresh_bylines(post)
    entry = transition_entry(
        post,
        post.start_publishing,
        by=None,
        verb="publishing",
        action=None,
        on_behalf_of=post.scheduled_by,
        **({"bylines_refreshed": refreshed} if refreshed else {}),
    )
    if not _save_if_still(post, source, "byline_record", now=now):
        return None
    return entry


def _save_if_still(post: Post, source: str, *fields: str, now: datetime) -> bool:
    """Save the post's state and ``fields`` only if its row is still in ``source`` (SQLite has
    no row locks: another tick may have moved it first, as django-fsm's concurrent save
    would refuse it). False if it moved."""
    values = {name: getattr(post, name) for name in fields}
    if not Post.objects.filter(pk=post.pk, state=source).update(
        state=post.state, updated_at=now, **values
    ):
        return False
    post.updated_at = now
    # As after a save: the object's state is now the database's (for a later save).
    post._update_initial_state()
    return True


def posts_hold(
    *,
    verdicts: Sequence[tuple[Post, recheck.Verdict]],
    by: User | None,
    cause: dict[str, Any] | None = None,
) -> list[Post]:
    """Hold scheduled posts the re-check refuses (the caller locked them and re-checked them:
    ``editorial.services.holds`` after an election was declared or a byline changed); the ones held.
    ``cause`` goes into the audit events (which election, which account)."""
    events: list[AuditEntry] = []
    notes: list[notifications.Note] = []
    now = timezone.now()
    held = [
        post
        for post, verdict in verdicts
        if _hold(post, verdict, actor=by, now=now, events=events, notes=notes, cause=cause)
    ]
    audit_many(events)
    notifications.notify_many(notes)
    return held


def _hold(
    post: Post,
    verdict: recheck.Verdict,
    *,
    actor: User | None,
    now: datetime,
    events: list[AuditEntry],
    notes: list[notifications.Note],
    cause: dict[str, Any] | None = None,
) -> bool:
    """Take a scheduled post off the schedule with the reason; its audit event and
    notification are appended for the caller to write together. False if it moved."""
    if not can_proceed(post.hold):
        return False
    source = post.state
    record: dict[str, Any] = {**verdict.record(), **({"cause": cause} if cause else {})}
    entry = transition_entry(
        post,
        post.hold,
        by=actor,
        verb="held_by_charter",
        action=None,
        # Nobody acted at the claim: it was held on behalf of whoever scheduled it.
        on_behalf_of=post.scheduled_by if actor is None else None,
        **record,
    )
    post.hold_reason = verdict.reasons
    post.hold_verdict = verdict.record()
    # Off the schedule (the audit event keeps the time it was due): an edit of the held post
    # is judged at its requested time, as any post not scheduled.
    post.scheduled_at = None
    # Conditional, as for the claim: on SQLite another tick may have moved it first.
    if not _save_if_still(post, source, "hold_reason", "hold_verdict", "scheduled_at", now=now):
        return False
    events.append(entry)
    notes.append(_hold_note(post, verdict))
    return True


def _hold_note(post: Post, verdict: recheck.Verdict) -> notifications.Note:
    """The people who hear of a failure learn why the post was held."""
    return notifications.Note(
        post=post,
        kind=Notification.Kind.CHARTER_HOLD,
        recipients=notifications.failure_recipients(post),
        message=recheck.hold_message(verdict),
        data=post.hold_verdict,
    )


def _refresh_bylines(post: Post) -> bool:
    """Bring the frozen bylines in step with the accounts' templates now (an administrator
    changed one after scheduling): what is sent is what the re-check measured."""
    accounts = list(post.accounts.all())
    current = {str(a.pk): post_byline(a, post) for a in accounts}
    if post.byline_record.get("bylines", current) == current:
        return False
    post.byline_record = {
        **post.byline_record,
        "bylines": current,
        "signatures": [{"account": str(a), "byline": current[str(a.pk)]} for a in accounts],
    }
    return True


@dataclass(frozen=True)
class PostOutcome:
    """What the publisher reports once every publication of a post has ended."""

    post_id: int
    published: bool
    details: dict[str, Any]


def post_record_outcome(*, post_id: int, published: bool, details: dict[str, Any]) -> None:
    post_record_outcomes([PostOutcome(post_id, published, details)])


@transaction.atomic
def post_record_outcomes(outcomes: Sequence[PostOutcome]) -> list[int]:
    """Record the outcome of several posts in one transaction; the ids that changed.

    The publisher reports a batch of sends at once: the posts are locked together, the audit
    events take the chain's lock once and the notifications are inserted together. A post no
    longer publishing was recorded by a concurrent worker and is left alone: recorded once.
    """
    wanted = {o.post_id: o for o in outcomes}
    if not wanted:
        return []
    posts = _lock_publishing(wanted)
    events: list[AuditEntry] = []
    notes: list[notifications.Note] = []
    now = timezone.now()
    for post in posts:
        outcome = wanted[post.pk]
        events.append(_record_outcome(post, outcome, now=now))
        notes.append(_outcome_note(post, outcome))
    audit_many(events)
    notifications.notify_many(notes)
    return [p.pk for p in posts]


def _lock_publishing(ids: Collection[int]) -> list[Post]:
    """Lock the posts in id order (two batches cannot deadlock), then read the ones still
    publishing (lock first, read second: see lock_post)."""
    list(
        Post.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(
        Post.objects.select_related("author", "unit", "current_revision", "scheduled_by")
        .filter(pk__in=ids, state=PostState.PUBLISHING)
        .order_by("pk")
    )


def _record_outcome(post: Post, outcome: PostOutcome, *, now: datetime) -> AuditEntry:
    """Write one locked post's outcome; its audit event for the caller to write together."""
    details = outcome.details
    post.remote_links = _remote_links(details)
    post.last_error = "" if outcome.published else str(details.get("error", ""))
    entry = transition_entry(
        post,
        post.mark_published if outcome.published else post.mark_failed,
        by=None,
        verb="published" if outcome.published else "failed",
        action=None,
        on_behalf_of=post.scheduled_by,
        **details,
    )
    # The rows are locked above: that is the guard ConcurrentTransitionMixin's save
    # would add. A plain update, cheaper than save() or bulk_update for a batch.
    Post.objects.filter(pk=post.pk).update(
        state=post.state, remote_links=post.remote_links, last_error=post.last_error, updated_at=now
    )
    return entry


def _remote_links(details: dict[str, Any]) -> list[dict[str, Any]]:
    """Where each publication of the post went (or why it did not), for the post page."""
    return [
        {
            "account": p.get("account", ""),
            "part": p.get("part", 0),
            "url": p.get("url", ""),
            "state": p.get("state", ""),
            # A failure's reason code, for the post page to word (editorial.failures).
            **failures.failure_fields(p),
        }
        for p in details.get("publications", [])
    ]


def _outcome_note(post: Post, outcome: PostOutcome) -> notifications.Note:
    if outcome.published:
        return notifications.Note(
            post=post,
            kind=Notification.Kind.PUBLISHED,
            recipients=notifications.outcome_recipients(post),
            message=post.last_error,
            data=None,
        )
    return notifications.Note(
        post=post,
        kind=Notification.Kind.FAILED,
        recipients=notifications.failure_recipients(post),
        message=post.last_error,
        data=failures.record(outcome.details.get("publications", [])),
    )


@transaction.atomic
def post_record_late_hold(*, post_id: int, accounts: list[str], late_minutes: int) -> None:
    """The publisher held some of the post's publications: they are later than the account
    allows. Approvers, the author and the accounts' publishers hear of it."""
    post = lock_post(post_id)
    held = sorted(set(post.held_late) | set(accounts))
    post.held_late = held
    post.save(update_fields=["held_late", "updated_at"])
    audit(
        post,
        "held_late",
        actor=None,
        on_behalf_of=post.scheduled_by,
        accounts=accounts,
        late_minutes=late_minutes,
    )
    notifications.notify(
        post=post,
        kind=Notification.Kind.HELD_LATE,
        recipients=notifications.failure_recipients(post),
        message=_("%(minutes)s minutes late on %(accounts)s.")
        % {"minutes": late_minutes, "accounts": ", ".join(accounts)},
    )


@transaction.atomic
def post_record_late_decision(
    *, post_id: int, by: User, accounts: list[str], confirmed: bool, reason: str = ""
) -> None:
    """A publisher confirmed (or cancelled) held publications; audited in their name."""
    post = lock_post(post_id)
    post.held_late = [a for a in post.held_late if a not in accounts]
    post.save(update_fields=["held_late", "updated_at"])
    audit(
        post,
        "late_confirmed" if confirmed else "late_cancelled",
        actor=by,
        accounts=accounts,
        reason=reason,
    )


@transaction.atomic
def post_record_remote_deletion(
    *, post_id: int, account: str, deleted: bool, error: str = "", part: int = 0
) -> None:
    """The publisher reports one network's answer to a retraction (deleted, or why not)."""
    post = lock_post(post_id)
    if post.state != PostState.RETRACTED:
        return
    links = [dict(link) for link in post.remote_links]
    for link in links:
        if link.get("account") == account and link.get("part", 0) == part:
            link["deletion"] = "deleted" if deleted else "failed"
            link["deletion_error"] = error
    post.remote_links = links
    post.save(update_fields=["remote_links", "updated_at"])
    audit(
        post,
        "deleted_remotely" if deleted else "remote_deletion_failed",
        actor=None,
        account=account,
        error=error,
    )
    if not deleted:
        notifications.notify(
            post=post,
            kind=Notification.Kind.FAILED,
            recipients=notifications.failure_recipients(post),
            message=error,
        )

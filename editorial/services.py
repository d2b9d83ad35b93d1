"""Every write on posts. One writer per state change.

Each service locks the post row, checks the transition's guard (state, conditions and
permission, four-eyes included), changes, and appends the audit event, in one transaction.
Views, tasks, the admin and the publisher call these; nobody calls a transition directly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import mimetypes
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from accounts import permissions
from accounts.models import Membership, OrgUnit, SocialAccount, User
from charter.engine import CheckReport
from charter.rules import Finding
from editorial import failures, images, notifications, policies, recheck
from editorial.audit import digest_of, event_mac
from editorial.models import (
    AUTHOR_EDITABLE_STATES,
    REVIEWED_STATES,
    TIER_ORDER,
    Approval,
    AuditChainHead,
    AuditEvent,
    Comment,
    Consultation,
    Freeze,
    Notification,
    Post,
    PostState,
    PostTier,
    Revision,
    RevisionMedia,
    Waiver,
)
from editorial.networks import NetworkOptions
from editorial.snapshots import byline_for, charter_check, links_of, snapshot_for_revision

logger = logging.getLogger(__name__)


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


class _Unchanged(Enum):
    TOKEN = 0


# post_update's default for the requested time and the embargo: keep the current ones (None
# removes them). An edit changes only what the author changed.
UNCHANGED: Literal[_Unchanged.TOKEN] = _Unchanged.TOKEN
Unchanged = Literal[_Unchanged.TOKEN]


@dataclass(frozen=True)
class MediaInput:
    filename: str
    data: bytes
    alt_text: str
    mime_type: str = ""
    # Mastodon focal point (x, y), each in -1..1; None: the centre.
    focus: tuple[float, float] | None = None
    # The bytes of an image already stored (carried into a new revision): they were
    # checked and re-encoded when first uploaded; a second pass of a lossy encoder would
    # only lose quality and change the hash.
    stored: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """One event to append: what ``_audit`` takes, for appending several under one lock."""

    post: Post | None
    verb: str
    actor: User | None
    from_state: str = ""
    to_state: str = ""
    on_behalf_of: User | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _audit(
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
    return _audit_many([entry])[0]


def _audit_many(entries: list[AuditEntry]) -> list[AuditEvent]:
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
        events: list[AuditEvent] = []
        seq, prev = head.seq, head.hash
        for entry in entries:
            seq += 1
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
            event.hash = prev = digest_of(event)
            event.mac = event_mac(settings.AUDIT_HMAC_KEY, seq=seq, hash=event.hash)
            events.append(event)
        if len(events) == 1:
            events[0].save(force_insert=True)
        else:
            AuditEvent.objects.bulk_create(events)
        head.seq, head.hash = seq, prev
        head.save(update_fields=["seq", "hash"])
    return events


def audit_record(*, verb: str, actor: User | None, **data: Any) -> AuditEvent:
    """An event about the organisation rather than a post (an account connected, tested...),
    on the same hash chain, for the apps that have no audit trail of their own."""
    return _audit(None, verb, actor=actor, **data)


def _lock(post_id: int) -> Post:
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


def _guard(method: Any, user: User | None, action: str, *, review: bool = False) -> None:
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


def speaking_unit(author: User, accounts: Sequence[SocialAccount]) -> OrgUnit:
    """The author's unit used in the byline: the first unit where they may draft."""
    membership = (
        Membership.objects.filter(
            user=author, role__in=[Membership.Role.AUTHOR, Membership.Role.ADMIN]
        )
        .select_related("unit")
        .order_by("pk")
        .first()
    )
    if membership is not None:
        return membership.unit
    return accounts[0].unit


def _checked_options(network: NetworkOptions) -> NetworkOptions:
    problems = network.problems()
    if problems:
        raise EditorialError(" ".join(problems))
    return network


def _new_revision(
    post: Post,
    *,
    text: str,
    language: str,
    media: Sequence[MediaInput],
    by: User,
    embargo_until: datetime | None = None,
    source: str = "",
    network: NetworkOptions | None = None,
    thread: Sequence[str] = (),
) -> Revision:
    number = (post.current_revision.number + 1) if post.current_revision else 1
    network = network or NetworkOptions()
    revision = Revision(
        post=post,
        number=number,
        text=text,
        language=language,
        created_by=by,
        embargo_until=embargo_until,
        source=source.strip(),
        variants=network.cleaned_variants(),
        mastodon_visibility=network.visibility,
        spoiler_text=network.spoiler_text.strip(),
        sensitive=network.sensitive,
        bluesky_label=network.self_label,
        reply_gate=network.reply_gate,
        thread=_thread_parts(thread),
    )
    revision.content_hash = ""
    revision.tier = post.tier
    revision.requested_publish_at = post.requested_publish_at
    revision.accounts_record = [{"id": a.pk, "name": str(a)} for a in post.accounts.all()]
    revision.save()
    for position, given in enumerate(media):
        item = given if given.stored else _clean_upload(given)
        digest = hashlib.sha256(item.data).hexdigest()
        mime = (
            item.mime_type or mimetypes.guess_type(item.filename)[0] or "application/octet-stream"
        )
        stored = RevisionMedia(
            revision=revision,
            alt_text=item.alt_text.strip(),
            mime_type=mime,
            size=len(item.data),
            sha256=digest,
            position=position,
        )
        if item.focus is not None:
            if not all(-1.0 <= value <= 1.0 for value in item.focus):
                raise EditorialError(
                    _("Give the image's focus point as two numbers between -1 and 1.")
                )
            stored.focus_x, stored.focus_y = item.focus
        stored.file.save(item.filename, ContentFile(item.data), save=False)
        stored.save()
    revision.content_hash = _revision_hash(post, revision)
    revision.save(update_fields=["content_hash"])
    post.current_revision = revision
    return revision


def _clean_upload(item: MediaInput) -> MediaInput:
    """An uploaded image as stored: one of the accepted formats, within the pixel budget,
    re-encoded without its metadata (editorial.images); refused in words otherwise."""
    try:
        clean = images.normalise(item.data, item.filename)
    except images.ImageRefused as exc:
        raise EditorialError(exc.message) from exc
    return dataclasses.replace(
        item, data=clean.data, mime_type=clean.mime_type, filename=clean.filename, stored=True
    )


MAX_THREAD_PARTS = 25


def _thread_parts(parts: Sequence[str]) -> list[str]:
    """The following parts of a thread, blank ones dropped (a trailing separator is no part)."""
    cleaned = [p.strip() for p in parts if p.strip()]
    if len(cleaned) + 1 > MAX_THREAD_PARTS:
        raise EditorialError(
            _("A thread has at most %(max)s parts: this one has %(n)s. Split it in two posts.")
            % {"max": MAX_THREAD_PARTS, "n": len(cleaned) + 1}
        )
    return cleaned


def _check_links_later(text: str) -> None:
    """Once the draft is saved, a worker fetches its links (``links.reachable``).

    A broker that is down must not lose the draft: the check is skipped, and logged.
    """
    urls = links_of(text)
    if not urls:
        return

    def enqueue() -> None:
        from charter import tasks

        try:
            tasks.check_links.delay(urls)
        except Exception:
            logger.warning("Link check not queued for %s links", len(urls), exc_info=True)

    transaction.on_commit(enqueue)


def _revision_hash(post: Post, revision: Revision) -> str:
    media_meta: list[dict[str, Any]] = []
    for m in revision.media.all():
        meta: dict[str, Any] = {"sha256": m.sha256, "alt_text": m.alt_text}
        if m.focus_x is not None and m.focus_y is not None:
            meta["focus"] = [m.focus_x, m.focus_y]
        media_meta.append(meta)
    return revision.compute_hash(
        account_ids=[a.pk for a in post.accounts.all()], media=media_meta, tier=post.tier
    )


def _raise_tier_for_charter(post: Post, revision: Revision, report: CheckReport) -> None:
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
    revision.content_hash = _revision_hash(post, revision)
    revision.save(update_fields=["tier", "content_hash"])
    post.save(update_fields=["tier", "updated_at"])
    _audit(
        post,
        "tier_raised",
        actor=None,
        revision=revision.number,
        from_tier=before,
        to_tier=needed,
        rules=rules,
    )


def _copy_media(revision: Revision) -> list[MediaInput]:
    items = []
    for m in revision.media.all():
        with m.file.open("rb") as fh:
            items.append(
                MediaInput(
                    filename=m.file.name.rsplit("/", 1)[-1],
                    data=fh.read(),
                    alt_text=m.alt_text,
                    mime_type=m.mime_type,
                    focus=m.focus,
                    stored=True,
                )
            )
    return items


def _kept_media(revision: Revision, alt_texts: Sequence[str] | None) -> list[MediaInput]:
    """The revision's images carried into the next one, with the alt texts typed (by
    position) when given: an alt text edited without a new upload is kept, never dropped."""
    media = _copy_media(revision)
    if alt_texts is None:
        return media
    if len(alt_texts) != len(media):
        raise EditorialError(_("The images changed meanwhile: open the post again."))
    return [dataclasses.replace(m, alt_text=alt) for m, alt in zip(media, alt_texts, strict=True)]


@transaction.atomic
def post_create(
    *,
    by: User,
    accounts: Sequence[SocialAccount],
    text: str,
    language: str = "fr",
    requested_publish_at: datetime | None = None,
    media: Sequence[MediaInput] = (),
    tier: str = PostTier.STANDARD,
    embargo_until: datetime | None = None,
    source: str = "",
    network: NetworkOptions | None = None,
    thread: Sequence[str] = (),
    token: uuid.UUID | None = None,
) -> Post:
    """Create a draft. With ``token`` (the compose form's), a second call with the same token
    by the same author creates nothing and raises ``AlreadyCreated`` with the first post, even
    when both run at once (the unique constraint decides; the loser rolls back)."""
    if token is not None:
        _refuse_second_creation(by, token)
    if not accounts:
        raise EditorialError(_("Choose at least one account to publish on."))
    network = _checked_options(network or NetworkOptions())
    for account in accounts:
        permissions.require(by, permissions.Perm.DRAFT, account)
    post: Post = Post(
        author=by,
        unit=speaking_unit(by, accounts),
        requested_publish_at=requested_publish_at,
        tier=PostTier(tier),
        creation_token=token,
    )
    try:
        # A savepoint: on PostgreSQL the twin's insert waits here for the first to commit,
        # then fails on the constraint; only this insert is undone before looking it up.
        with transaction.atomic():
            post.save()
    except IntegrityError:
        if token is None:
            raise
        _refuse_second_creation(by, token)
        raise
    post.accounts.set(accounts)
    _new_revision(
        post,
        text=text,
        language=language,
        media=media,
        by=by,
        embargo_until=embargo_until,
        source=source,
        network=network,
        thread=thread,
    )
    post.save()
    _audit(post, "created", actor=by, to_state=post.state, revision=1)
    _check_links_later("\n".join([text, *thread]))
    return post


def _refuse_second_creation(by: User, token: uuid.UUID) -> None:
    first = Post.objects.filter(author=by, creation_token=token).first()
    if first is not None:
        raise AlreadyCreated(first)


@transaction.atomic
def post_update(
    *,
    post: Post,
    by: User,
    base_revision: int,
    text: str,
    language: str,
    accounts: Sequence[SocialAccount] | None = None,
    requested_publish_at: datetime | Literal[_Unchanged.TOKEN] | None = UNCHANGED,
    media: Sequence[MediaInput] | None = None,
    alt_texts: Sequence[str] | None = None,
    tier: str | None = None,
    embargo_until: datetime | Literal[_Unchanged.TOKEN] | None = UNCHANGED,
    source: str | None = None,
    network: NetworkOptions | None = None,
    thread: Sequence[str] | None = None,
) -> Revision:
    """Save an edit as a new revision; refuse a stale base instead of overwriting.

    ``thread`` None keeps the following parts of the current revision.

    The requested time, the embargo and the source carry over from the current revision
    unless given (None removes the time or the embargo, "" the source). Waivers do not carry
    over: they covered the old one. ``media`` None keeps the current images, with
    ``alt_texts`` (by position) replacing their alt texts when given.
    ``network`` None keeps the per-network versions and options of the current revision.

    After submission (in review, approved, scheduled) the edit sends the post back to review:
    approvals stay in the history but were given to another content hash, so they no longer
    count, and a scheduled post leaves the schedule. The charter runs again; if it blocks the
    new revision, the post goes back to draft with the findings on the revision.
    """
    post = _lock(post.pk)
    if post.author_id != by.pk:
        raise PermissionDenied(_("Only the author can edit this draft."))
    if post.state not in AUTHOR_EDITABLE_STATES:
        raise TransitionRefused(
            _("Post #%(id)s is %(state)s and cannot be edited.")
            % {"id": post.pk, "state": post.get_state_display()}
        )
    assert post.current_revision is not None
    current = post.current_revision.number
    if base_revision != current:
        raise EditConflict(
            _(
                "Someone saved revision %(current)s while you were editing revision %(base)s. "
                "Open the latest revision and apply your changes again."
            )
            % {"current": current, "base": base_revision},
            current_revision=current,
        )
    if accounts is not None:
        if not accounts:
            raise EditorialError(_("Choose at least one account to publish on."))
        for account in accounts:
            permissions.require(by, permissions.Perm.DRAFT, account)
        post.accounts.set(accounts)
    if tier is not None:
        _set_tier(post, PostTier(tier))
    if media is None:
        media = _kept_media(post.current_revision, alt_texts)
    if network is None:
        network = post.current_revision.network_options
    network = _checked_options(network)
    if requested_publish_at is not UNCHANGED:
        post.requested_publish_at = requested_publish_at
    previous = post.current_revision
    revision = _new_revision(
        post,
        text=text,
        language=language,
        media=media,
        by=by,
        embargo_until=previous.embargo_until if embargo_until is UNCHANGED else embargo_until,
        source=previous.source if source is None else source,
        network=network,
        thread=previous.thread if thread is None else thread,
    )
    post.save()
    _audit(post, "edited", actor=by, revision=revision.number)
    _check_links_later("\n".join([text, *revision.thread]))
    # Answers covered the previous revision: the units that gave one must answer again.
    notifications.notify(
        post=post,
        kind=Notification.Kind.CONSULTATION_REQUESTED,
        recipients=notifications.units_to_ask_again(post) - {by.pk},
        message=_("Revision %(n)s replaces the one your unit answered: answer again.")
        % {"n": revision.number},
    )
    if post.state in REVIEWED_STATES:
        _back_to_review(post, revision, by=by, previous_hash=previous.content_hash)
    return revision


def _set_tier(post: Post, tier: PostTier) -> None:
    """Authors choose the tier freely before review; once reviewers saw it, only raise it."""
    if post.state in REVIEWED_STATES and TIER_ORDER.index(tier) < TIER_ORDER.index(
        PostTier(post.tier)
    ):
        raise EditorialError(
            _(
                "The post was sent for review as %(tier)s: its tier can only be raised now. "
                "Ask a reviewer to send it back to lower it."
            )
            % {"tier": post.get_tier_display()}
        )
    post.tier = tier


def _check_charter(post: Post, revision: Revision) -> CheckReport:
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


def _back_to_review(post: Post, revision: Revision, *, by: User, previous_hash: str) -> None:
    report = _check_charter(post, revision)
    revision.save(update_fields=["check_report"])
    if report.ok:
        _raise_tier_for_charter(post, revision, report)
    source = post.state
    unscheduled = post.scheduled_at.isoformat() if post.scheduled_at else ""
    if report.ok:
        _guard(post.reopen, by, _("edit"))
        post.reopen()
    else:
        _guard(post.return_to_draft, by, _("edit"))
        post.return_to_draft()
    # Off the schedule until approved again: the frozen byline named the old approvers.
    post.scheduled_at = None
    post.scheduled_by = None
    post.byline_record = {}
    post.save()
    _audit(
        post,
        "resubmitted" if report.ok else "returned_to_draft",
        actor=by,
        from_state=source,
        to_state=post.state,
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
    post = _lock(post.pk)
    _guard(post.submit, by, _("submit"))
    revision = post.current_revision
    assert revision is not None
    report = _check_charter(post, revision)
    if not report.ok:
        # Rolled back with the transaction: the draft stays exactly as it was.
        raise CharterRefused(report)
    _raise_tier_for_charter(post, revision, report)
    problems = policies.chain_problems(post)
    if problems:
        # Nobody could approve it: refuse now rather than leave it waiting forever.
        raise TransitionRefused(" ".join(problems))
    revision.save(update_fields=["check_report"])
    source = post.state
    post.submit()
    post.save()
    _audit(
        post,
        "submitted",
        actor=by,
        from_state=source,
        to_state=post.state,
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
    post = _lock(post.pk)
    _guard(post.approve, by, _("approve"), review=True)
    current = post.current_revision
    assert current is not None
    if revision is not None and revision != current.number:
        raise TransitionRefused(
            _(
                "The author saved revision %(current)s after you opened revision %(seen)s: "
                "read it before approving."
            )
            % {"current": current.number, "seen": revision}
        )
    open_step = policies.open_step(policies.chain_status(post))
    opened_before = open_step.number if open_step else None
    approval = None
    step_data: dict[str, Any] = {}
    if open_step is not None:
        deputy_of = open_step.rights[by.pk]
        approval = Approval.objects.create(
            post=post,
            revision=current,
            approver=by,
            content_hash=current.content_hash,
            step=open_step.step if open_step.step.pk else None,
            as_deputy_of_id=deputy_of,
        )
        step_data = {"step": open_step.step.name, "step_number": open_step.number}
        if open_step.step.pk:
            step_data["step_id"] = open_step.step.pk
        if approval.as_deputy_of is not None:
            step_data["as_deputy_of"] = {"id": deputy_of, "name": str(approval.as_deputy_of)}
    statuses = policies.chain_status(post)
    complete = policies.is_complete(statuses)
    # A blocking consultation without agreement on this revision keeps the post in review.
    waiting = [str(c.unit) for c in Consultation.objects.holding(post).select_related("unit")]
    if complete and waiting:
        step_data["waiting_for_consultations"] = waiting
    approved = complete and not waiting
    source = post.state
    if approved:
        post.approve()
    else:
        post.approve_step()
    post.save()
    _audit(
        post,
        "approved" if approved else "step_approved",
        actor=by,
        on_behalf_of=approval.as_deputy_of if approval else None,
        from_state=source,
        to_state=post.state,
        revision=current.number,
        content_hash=current.content_hash,
        **step_data,
    )
    _notify_approval(post, statuses, opened_before=opened_before, by=by, approved=approved)
    return approval


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
    post = _lock(post.pk)
    if not comment.strip():
        raise EditorialError(_("Say what to change: a comment is required."))
    _guard(post.request_changes, by, _("request changes on"), review=True)
    # A rejection at step k also informs those who approved the steps before it.
    earlier = notifications.earlier_step_approvers(policies.chain_status(post))
    note = Comment.objects.create(
        post=post, revision=post.current_revision, author=by, body=comment.strip()
    )
    source = post.state
    post.request_changes()
    post.save()
    _audit(
        post,
        "changes_requested",
        actor=by,
        from_state=source,
        to_state=post.state,
        comment=note.body,
    )
    notifications.notify(
        post=post,
        kind=Notification.Kind.CHANGES_REQUESTED,
        recipients=({post.author_id} | earlier) - {by.pk},
        message=note.body,
    )
    return note


def _approver_record(approval: Approval) -> dict[str, Any]:
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


@transaction.atomic
def post_schedule(*, post: Post, by: User, at: datetime | None = None) -> Post:
    """Schedule an approved post and freeze its byline: who speaks, who approved, which charter.

    ``at`` None means as soon as possible (the next scheduler tick).
    """
    post = _lock(post.pk)
    _guard(post.schedule, by, _("schedule"))
    approvals = policies.current_approvals(post)
    if not approvals:
        # An approval covers exactly one content hash; no approval of this content, no schedule.
        raise TransitionRefused(_("This content has not been approved: submit it for review."))
    now = timezone.now()
    when = at or now
    if when < now - timedelta(minutes=1):
        raise EditorialError(_("The publication time is in the past: choose a later time."))
    refuse_unless_fit(post, at=max(when, now))
    post.hold_reason = ""
    post.hold_verdict = {}
    post.scheduled_at = when
    post.scheduled_by = by
    post.byline_record = byline_record(
        post, by=by, approvers=[_approver_record(a) for a in approvals]
    )
    source = post.state
    post.schedule()
    post.last_error = ""
    post.save()
    _audit(post, "scheduled", actor=by, from_state=source, to_state=post.state, at=when.isoformat())
    return post


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


def byline_record(post: Post, *, by: User, approvers: list[dict[str, Any]]) -> dict[str, Any]:
    """What scheduling freezes: who speaks, who approved, who scheduled, under which charter."""
    revision = post.current_revision
    assert revision is not None
    bylines = {a: byline_for(a, unit=post.unit, author=post.author) for a in post.accounts.all()}
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
    post = _lock(post.pk)
    _guard(post.retry, by, _("retry"))
    now = timezone.now()
    refuse_unless_fit(post, at=now)
    source = post.state
    post.retry()
    post.scheduled_at = now
    post.save()
    _audit(post, "retry", actor=by, from_state=source, to_state=post.state)
    return post


REASON_MIN_LENGTH = 10


def _reason(reason: str, action: str) -> str:
    text = reason.strip()
    if len(text) < REASON_MIN_LENGTH:
        raise EditorialError(
            _("Say why you %(action)s this post (at least %(min)s characters).")
            % {"action": action, "min": REASON_MIN_LENGTH}
        )
    return text


@transaction.atomic
def post_withdraw(*, post: Post, by: User, reason: str) -> Post:
    """Cancel a post before anything is published. It stays, with its history and the reason;
    a scheduled one leaves the schedule (the scheduler only starts scheduled posts)."""
    post = _lock(post.pk)
    why = _reason(reason, _("withdraw"))
    _guard(post.withdraw, by, _("withdraw"))
    source = post.state
    unscheduled = post.scheduled_at.isoformat() if post.scheduled_at else ""
    post.withdraw()
    post.scheduled_at = None
    post.save()
    _audit(
        post,
        "withdrawn",
        actor=by,
        from_state=source,
        to_state=post.state,
        reason=why,
        unscheduled=unscheduled,
    )
    notifications.notify(
        post=post,
        kind=Notification.Kind.WITHDRAWN,
        recipients=notifications.outcome_recipients(post) - {by.pk},
        message=why,
    )
    return post


@transaction.atomic
def post_retract(*, post: Post, by: User, reason: str) -> Post:
    """Retract a published post: the publisher deletes it from every network it reached
    (``publishing`` picks retracted posts up and reports each deletion back here)."""
    post = _lock(post.pk)
    why = _reason(reason, _("retract"))
    _guard(post.retract, by, _("retract"))
    source = post.state
    post.retract()
    post.save()
    _audit(post, "retracted", actor=by, from_state=source, to_state=post.state, reason=why)
    notifications.notify(
        post=post,
        kind=Notification.Kind.RETRACTED,
        recipients=notifications.outcome_recipients(post) - {by.pk},
        message=why,
    )
    return post


# --- called by the publisher: no human acts, the one who scheduled is recorded -------------


def post_start_publishing(*, post: Post) -> None:
    """Move a due post to publishing. The caller holds the row lock (the scheduler's claim).

    A post the re-check holds is left held (audited, its people told), not an error."""
    _guard(post.start_publishing, None, _("publish"))
    if not posts_start_publishing(posts=[post]) and post.state != PostState.HELD:
        raise ConcurrentTransition(f"Post #{post.pk} was moved by someone else.")


def posts_start_publishing(*, posts: Sequence[Post]) -> list[Post]:
    """Move due posts to publishing, the ones that moved. The caller holds the row locks
    (the scheduler's claim); the audit events take the chain's lock once for all of them.

    Each post is re-checked first (``editorial.recheck``) as it would go out: at its time (or
    now, if later) with its accounts as they are now. One that a blocking rule would now
    refuse (an electoral silence declared since, a longer byline, a deactivated account) is
    held instead, its people told, and nothing of it is handed to the publisher. The ones
    that go carry their accounts' current bylines, the ones the re-check measured.

    A post that is no longer scheduled in the database (SQLite has no row locks: another
    tick moved it first) is left out, as django-fsm's concurrent save would refuse it.
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
        source = post.state
        refreshed = _refresh_bylines(post)
        post.start_publishing()
        if not Post.objects.filter(pk=post.pk, state=source).update(
            state=post.state, updated_at=now, byline_record=post.byline_record
        ):
            continue
        post.updated_at = now
        # As after a save: the object's state is now the database's (for a later save).
        post._update_initial_state()
        started.append(post)
        events.append(
            AuditEntry(
                post,
                "publishing",
                actor=None,
                on_behalf_of=post.scheduled_by,
                from_state=source,
                to_state=post.state,
                data={"bylines_refreshed": refreshed} if refreshed else {},
            )
        )
    _audit_many(events)
    notifications.notify_many(notes)
    return started


def posts_hold(
    *,
    verdicts: Sequence[tuple[Post, recheck.Verdict]],
    by: User | None,
    cause: dict[str, Any] | None = None,
) -> list[Post]:
    """Hold scheduled posts the re-check refuses (the caller locked them and re-checked them:
    ``editorial.holds`` after an election was declared or a byline changed); the ones held.
    ``cause`` goes into the audit events (which election, which account)."""
    events: list[AuditEntry] = []
    notes: list[notifications.Note] = []
    now = timezone.now()
    held = [
        post
        for post, verdict in verdicts
        if _hold(post, verdict, actor=by, now=now, events=events, notes=notes, cause=cause)
    ]
    _audit_many(events)
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
    post.hold()
    post.hold_reason = verdict.reasons
    post.hold_verdict = verdict.record()
    # Off the schedule (the audit event keeps the time it was due): an edit of the held post
    # is judged at its requested time, as any post not scheduled.
    post.scheduled_at = None
    # Conditional, as for the claim: on SQLite another tick may have moved it first.
    if not Post.objects.filter(pk=post.pk, state=source).update(
        state=post.state,
        hold_reason=post.hold_reason,
        hold_verdict=post.hold_verdict,
        scheduled_at=None,
        updated_at=now,
    ):
        return False
    post.updated_at = now
    post._update_initial_state()
    events.append(
        AuditEntry(
            post,
            "held_by_charter",
            actor=actor,
            # Nobody acted at the claim: it was held on behalf of whoever scheduled it.
            on_behalf_of=post.scheduled_by if actor is None else None,
            from_state=source,
            to_state=post.state,
            data={**verdict.record(), **({"cause": cause} if cause else {})},
        )
    )
    notes.append(
        notifications.Note(
            post=post,
            kind=Notification.Kind.CHARTER_HOLD,
            recipients=notifications.failure_recipients(post),
            message=recheck.hold_message(verdict),
            data=post.hold_verdict,
        )
    )
    return True


def _refresh_bylines(post: Post) -> bool:
    """Bring the frozen bylines in step with the accounts' templates now (an administrator
    changed one after scheduling): what is sent is what the re-check measured."""
    accounts = list(post.accounts.all())
    current = {str(a.pk): byline_for(a, unit=post.unit, author=post.author) for a in accounts}
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

    The publisher reports a batch of sends at once: the posts are locked together (in id
    order, so two batches cannot deadlock), the audit events take the chain's lock once and
    the notifications are inserted together. A post no longer publishing was recorded by a
    concurrent worker and is left alone: outcomes are recorded once.
    """
    wanted = {o.post_id: o for o in outcomes}
    if not wanted:
        return []
    # Lock first, read second (see _lock).
    list(
        Post.objects.select_for_update()
        .filter(pk__in=wanted)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    posts = list(
        Post.objects.select_related("author", "unit", "current_revision", "scheduled_by")
        .filter(pk__in=wanted, state=PostState.PUBLISHING)
        .order_by("pk")
    )
    events: list[AuditEntry] = []
    notes: list[notifications.Note] = []
    now = timezone.now()
    for post in posts:
        outcome = wanted[post.pk]
        details = outcome.details
        source = post.state
        post.remote_links = [
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
        if outcome.published:
            post.mark_published()
            post.last_error = ""
        else:
            post.mark_failed()
            post.last_error = str(details.get("error", ""))
        # The rows are locked above: that is the guard ConcurrentTransitionMixin's save
        # would add. A plain update, cheaper than save() or bulk_update for a batch.
        Post.objects.filter(pk=post.pk).update(
            state=post.state,
            remote_links=post.remote_links,
            last_error=post.last_error,
            updated_at=now,
        )
        events.append(
            AuditEntry(
                post,
                "published" if outcome.published else "failed",
                actor=None,
                on_behalf_of=post.scheduled_by,
                from_state=source,
                to_state=post.state,
                data=details,
            )
        )
        notes.append(
            notifications.Note(
                post=post,
                kind=Notification.Kind.PUBLISHED if outcome.published else Notification.Kind.FAILED,
                recipients=(
                    notifications.outcome_recipients(post)
                    if outcome.published
                    else notifications.failure_recipients(post)
                ),
                message=post.last_error,
                data=None
                if outcome.published
                else failures.record(details.get("publications", [])),
            )
        )
    _audit_many(events)
    notifications.notify_many(notes)
    return [p.pk for p in posts]


@transaction.atomic
def post_record_late_hold(*, post_id: int, accounts: list[str], late_minutes: int) -> None:
    """The publisher held some of the post's publications: they are later than the account
    allows. Approvers, the author and the accounts' publishers hear of it."""
    post = _lock(post_id)
    held = sorted(set(post.held_late) | set(accounts))
    post.held_late = held
    post.save(update_fields=["held_late", "updated_at"])
    _audit(
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
    post = _lock(post_id)
    post.held_late = [a for a in post.held_late if a not in accounts]
    post.save(update_fields=["held_late", "updated_at"])
    _audit(
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
    post = _lock(post_id)
    if post.state != PostState.RETRACTED:
        return
    links = [dict(link) for link in post.remote_links]
    for link in links:
        if link.get("account") == account and link.get("part", 0) == part:
            link["deletion"] = "deleted" if deleted else "failed"
            link["deletion_error"] = error
    post.remote_links = links
    post.save(update_fields=["remote_links", "updated_at"])
    _audit(
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


# --- freezes: stop the scheduler from starting posts, without touching the schedule --------


def may_freeze(user: User, account: SocialAccount | None) -> bool:
    """Who may freeze (and lift): a publisher of the account (a unit administrator is one on
    the accounts of the units they administer); for the whole organisation, only its own
    administrators (``organisation_admin``)."""
    if not user.is_active:
        return False
    if account is not None:
        return permissions.can(user, permissions.Perm.PUBLISH, account)
    return organisation_admin(user)


def organisation_admin(user: User) -> bool:
    """Whether ``user`` speaks for the whole organisation, not for one ministry of it.

    A superuser; a holder of ``editorial.freeze_organisation`` (given in the admin, to a user or
    a group: the crisis cell); or an administrator of the root unit when the chart has exactly
    one root. With several top-level units side by side (ministries), no unit administrator
    speaks for the others: a ministry's administrator freezes its own accounts, never theirs.
    """
    if not user.is_active:
        return False
    if user.is_superuser or user.has_perm("editorial.freeze_organisation"):
        return True
    roots = list(OrgUnit.objects.filter(parent__isnull=True).values_list("pk", flat=True)[:2])
    return (
        len(roots) == 1
        and Membership.objects.filter(
            user=user, role=Membership.Role.ADMIN, unit_id=roots[0]
        ).exists()
    )


def _require_freeze_right(user: User, account: SocialAccount | None) -> None:
    if not may_freeze(user, account):
        if account is None:
            raise PermissionDenied(
                _("Only an administrator of the organisation can freeze or lift it as a whole.")
            )
        raise PermissionDenied(
            _("Only a publisher of %(account)s can freeze or lift it.") % {"account": account}
        )


def _freeze_record(freeze: Freeze) -> dict[str, Any]:
    account = freeze.account
    return {
        "freeze_id": freeze.pk,
        "account": {"id": account.pk, "name": str(account)} if account else None,
        "reason": freeze.reason,
    }


@transaction.atomic
def freeze_create(*, account: SocialAccount | None, reason: str, by: User) -> Freeze:
    """Stop scheduled publishing on ``account`` (None: every account) until lifted.

    Posts keep their state and time: the scheduler passes over them while the freeze lasts
    and starts them on its first tick after the lift. Posts already publishing go on.
    """
    _require_freeze_right(by, account)
    reason = reason.strip()
    if not reason:
        raise EditorialError(_("Say why publishing is frozen: a reason is required."))
    active = Freeze.objects.select_for_update().filter(lifted_at__isnull=True, account=account)
    if active.exists():
        raise EditorialError(
            _("%(target)s is already frozen: lift that freeze first.")
            % {"target": str(account) if account else _("The whole organisation")}
        )
    freeze = Freeze.objects.create(account=account, reason=reason, frozen_by=by)
    _audit(None, "frozen", actor=by, **_freeze_record(freeze))
    return freeze


@transaction.atomic
def freeze_lift(*, freeze: Freeze, by: User) -> Freeze:
    """Lift a freeze; the posts it held go out on the scheduler's next tick."""
    locked: Freeze = (
        Freeze.objects.select_for_update(of=("self",)).select_related("account").get(pk=freeze.pk)
    )
    _require_freeze_right(by, locked.account)
    if not locked.is_active:
        raise EditorialError(_("This freeze was already lifted."))
    locked.lifted_by = by
    locked.lifted_at = timezone.now()
    locked.save(update_fields=["lifted_by", "lifted_at"])
    _audit(None, "unfrozen", actor=by, **_freeze_record(locked))
    return locked


# --- notifications -----------------------------------------------------------------------


@transaction.atomic
def notifications_mark_read(*, by: User) -> int:
    """Mark every unread notification of ``by`` as read; how many were."""
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(
        read_at=timezone.now()
    )

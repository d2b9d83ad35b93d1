"""The life of a post outside review and publishing: create, edit, withdraw, retract."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Literal, TypedDict

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import SocialAccount, User
from editorial.models import (
    AUTHOR_EDITABLE_STATES,
    REVIEWED_STATES,
    TIER_ORDER,
    Notification,
    Post,
    PostTier,
    Revision,
)
from editorial.networks import NetworkOptions
from editorial.services import notifications
from editorial.services.review import (
    back_to_review,
)
from editorial.services.revisions import (
    MediaInput,
    check_links_later,
    checked_options,
    kept_media,
    new_revision,
    speaking_unit,
)
from editorial.workflow import (
    AlreadyCreated,
    EditConflict,
    EditorialError,
    TransitionRefused,
    audit,
    lock_post,
    transition,
)


class _Unchanged(Enum):
    TOKEN = 0


# post_update's default for the requested time and the embargo: keep the current ones (None
# removes them). An edit changes only what the author changed.
UNCHANGED: Literal[_Unchanged.TOKEN] = _Unchanged.TOKEN


Unchanged = Literal[_Unchanged.TOKEN]


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
    by the same author creates nothing and raises ``AlreadyCreated`` with the first post."""
    if token is not None:
        _refuse_second_creation(by, token)
    if not accounts:
        raise EditorialError(_("Choose at least one account to publish on."))
    network = checked_options(network or NetworkOptions())
    _require_draft_permission(by, accounts)
    post = _insert_post(by, accounts, requested_publish_at, PostTier(tier), token)
    new_revision(
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
    audit(post, "created", actor=by, to_state=post.state, revision=1)
    check_links_later("\n".join([text, *thread]))
    return post


def _insert_post(
    by: User,
    accounts: Sequence[SocialAccount],
    requested_publish_at: datetime | None,
    tier: PostTier,
    token: uuid.UUID | None,
) -> Post:
    """The new post's row, with its accounts. Two calls with the same token may run at once:
    the unique constraint decides, and the loser raises ``AlreadyCreated`` (insert rolled back)."""
    post: Post = Post(
        author=by,
        unit=speaking_unit(by, accounts),
        requested_publish_at=requested_publish_at,
        tier=tier,
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
    return post


def _require_draft_permission(by: User, accounts: Sequence[SocialAccount]) -> None:
    for account in accounts:
        permissions.require(by, permissions.Perm.DRAFT, account)


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
    """Save an edit as a new revision; refuse a stale base instead of overwriting. What is not
    given carries over (``_carried_over``); after submission, back to review (back_to_review)."""
    post = lock_post(post.pk)
    previous = _editable_revision(post, by=by, base_revision=base_revision)
    _edit_post(post, by=by, accounts=accounts, tier=tier, requested_publish_at=requested_publish_at)
    carried = _carried_over(
        previous,
        media=media,
        alt_texts=alt_texts,
        embargo_until=embargo_until,
        source=source,
        network=network,
        thread=thread,
    )
    revision = new_revision(post, text=text, language=language, by=by, **carried)
    post.save()
    audit(post, "edited", actor=by, revision=revision.number)
    check_links_later("\n".join([text, *revision.thread]))
    _ask_units_again(post, revision, by=by)
    if post.state in REVIEWED_STATES:
        back_to_review(post, revision, by=by, previous_hash=previous.content_hash)
    return revision


def _edit_post(
    post: Post,
    *,
    by: User,
    accounts: Sequence[SocialAccount] | None,
    tier: str | None,
    requested_publish_at: datetime | Unchanged | None,
) -> None:
    """The edit's changes to the post itself. Accounts and tier None keep the current ones;
    the requested time UNCHANGED keeps it, None removes it."""
    if accounts is not None:
        _set_accounts(post, accounts, by=by)
    if tier is not None:
        _set_tier(post, PostTier(tier))
    if requested_publish_at is not UNCHANGED:
        post.requested_publish_at = requested_publish_at


class _Carried(TypedDict):
    media: Sequence[MediaInput]
    embargo_until: datetime | None
    source: str
    network: NetworkOptions
    thread: Sequence[str]


def _carried_over(
    previous: Revision,
    *,
    media: Sequence[MediaInput] | None,
    alt_texts: Sequence[str] | None,
    embargo_until: datetime | Unchanged | None,
    source: str | None,
    network: NetworkOptions | None,
    thread: Sequence[str] | None,
) -> _Carried:
    """The new revision's content beside its text, carried over from the previous revision
    unless given. The embargo (None removes it) and the source ("" removes it) carry over;
    waivers do not: they covered the old revision. ``media`` None keeps the current images,
    with ``alt_texts`` (by position) replacing their alt texts when given. ``network`` None
    keeps the per-network versions and options; ``thread`` None the following parts."""
    return _Carried(
        media=kept_media(previous, alt_texts) if media is None else media,
        embargo_until=previous.embargo_until if embargo_until is UNCHANGED else embargo_until,
        source=previous.source if source is None else source,
        network=checked_options(previous.network_options if network is None else network),
        thread=previous.thread if thread is None else thread,
    )


def _ask_units_again(post: Post, revision: Revision, *, by: User) -> None:
    """Answers covered the previous revision: the units that gave one must answer again."""
    notifications.notify(
        post=post,
        kind=Notification.Kind.CONSULTATION_REQUESTED,
        recipients=notifications.units_to_ask_again(post) - {by.pk},
        message=_("Revision %(n)s replaces the one your unit answered: answer again.")
        % {"n": revision.number},
    )


def _editable_revision(post: Post, *, by: User, base_revision: int) -> Revision:
    """The current revision, if ``by`` may edit the post now and edited that revision."""
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
    return post.current_revision


def _set_accounts(post: Post, accounts: Sequence[SocialAccount], *, by: User) -> None:
    if not accounts:
        raise EditorialError(_("Choose at least one account to publish on."))
    _require_draft_permission(by, accounts)
    post.accounts.set(accounts)


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
    post = lock_post(post.pk)
    why = _reason(reason, _("withdraw"))
    unscheduled = post.scheduled_at.isoformat() if post.scheduled_at else ""
    post.scheduled_at = None
    transition(
        post,
        post.withdraw,
        by=by,
        verb="withdrawn",
        action=_("withdraw"),
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
    post = lock_post(post.pk)
    why = _reason(reason, _("retract"))
    transition(post, post.retract, by=by, verb="retracted", action=_("retract"), reason=why)
    notifications.notify(
        post=post,
        kind=Notification.Kind.RETRACTED,
        recipients=notifications.outcome_recipients(post) - {by.pk},
        message=why,
    )
    return post

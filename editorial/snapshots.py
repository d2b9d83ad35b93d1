"""Frozen views of a post for the charter and the publisher.

``charter`` never sees a model: it checks the ``PostSnapshot`` built here. The rendition of a
post on one account (body + byline) is composed in exactly one place, ``with_byline``, so what
the charter counts is what the publisher sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from charter.engine import CheckReport, check_groups
from charter.rules import scan
from charter.selectors import charter_groups, election_windows_for_unit, link_statuses
from charter.snapshot import (
    ElectionWindowSnapshot,
    MediaSnapshot,
    PostSnapshot,
    RenditionSnapshot,
    join_parts,
)

if TYPE_CHECKING:
    from accounts.models import OrgUnit, SocialAccount, User
    from editorial.models import Post, Revision


def byline_for(
    account: SocialAccount, *, unit: OrgUnit, author: User, post_id: int | None = None
) -> str:
    """``post_id``: the post's, for a ``{url}`` in the template (None before it is saved)."""
    return account.render_byline(
        unit_code=unit.code.upper(), initials=author.get_initials(), post_id=post_id
    )


def post_byline(account: SocialAccount, post: Post) -> str:
    """The byline of a saved post on ``account`` (its ``{url}`` is the post's own page)."""
    return byline_for(account, unit=post.unit, author=post.author, post_id=post.pk)


def build_snapshot(
    *,
    text: str,
    language: str,
    accounts: list[SocialAccount],
    unit: OrgUnit,
    author: User,
    media: list[MediaSnapshot] | None = None,
    scheduled_for: datetime | None = None,
    embargo_until: datetime | None = None,
    source: str = "",
    variants: Mapping[str, str] | None = None,
    spoiler_text: str = "",
    thread: Sequence[str] = (),
    election_windows: tuple[ElectionWindowSnapshot, ...] | None = None,
    with_link_statuses: bool = True,
    post_id: int | None = None,
) -> PostSnapshot:
    """``variants``: see ``_renditions``; ``post_id``: ``byline_for``'s. ``election_windows``
    None reads the unit's; ``with_link_statuses`` False: no link results (for the re-check)."""
    bylines = {a.pk: byline_for(a, unit=unit, author=author, post_id=post_id) for a in accounts}
    renditions = _renditions(
        accounts, bylines, text=text, spoiler=spoiler_text, variants=variants, thread=thread
    )
    # Content rules read the whole thread: personal data in part 3 is still personal data.
    whole, now = join_parts([text, *thread]), timezone.now()
    return PostSnapshot(
        text=whole,
        language=language,
        renditions=renditions,
        media=tuple(media or ()),
        scheduled_for=scheduled_for,
        checked_at=now,
        embargo_until=embargo_until,
        source=source,
        author_unit_code=unit.code.upper(),
        author_initials=author.get_initials(),
        election_windows=_windows(unit, election_windows, now),
        link_statuses=link_statuses(links_of(whole)) if with_link_statuses else (),
    )


def _renditions(
    accounts: list[SocialAccount],
    bylines: Mapping[int, str],
    *,
    text: str,
    spoiler: str,
    variants: Mapping[str, str] | None,
    thread: Sequence[str],
) -> tuple[RenditionSnapshot, ...]:
    """One rendition per account, signed with its byline (``bylines``, by account id).
    ``variants`` are the per-network versions of the text (a blank one: the text), so each
    rendition is measured on what its network will receive."""
    variants = variants or {}
    return tuple(
        RenditionSnapshot(
            account_id=account.pk,
            network=account.network,
            handle=account.handle,
            body=(variants.get(account.network) or "").strip() or text,
            byline=bylines[account.pk],
            max_characters=account.max_characters,
            characters_reserved_per_url=account.characters_reserved_per_url,
            counting=account.length_counting,
            account_active=account.is_active,
            spoiler_text=spoiler if account.network == "mastodon" else "",
            thread=tuple(thread),
        )
        for account in accounts
    )


def _windows(
    unit: OrgUnit, given: tuple[ElectionWindowSnapshot, ...] | None, now: datetime
) -> tuple[ElectionWindowSnapshot, ...]:
    """The election windows the snapshot is checked against: the given ones, or the unit's."""
    if given is not None:
        return given
    return election_windows_for_unit(unit, today=timezone.localdate(now))


def links_of(text: str) -> list[str]:
    """The post's links, as the charter and Mastodon recognise them."""
    return [text[start:end] for start, end in scan.spans_of(text, "url")]


def snapshot_for_revision(post: Post, revision: Revision) -> PostSnapshot:
    media = [
        MediaSnapshot(
            filename=m.file.name.rsplit("/", 1)[-1],
            alt_text=m.alt_text,
            mime_type=m.mime_type,
            size=m.size,
        )
        for m in revision.media.all()
    ]
    return build_snapshot(
        text=revision.text,
        language=revision.language,
        accounts=list(post.accounts.all()),
        unit=post.unit,
        author=post.author,
        media=media,
        # What is booked wins over what was asked for.
        scheduled_for=post.scheduled_at or post.requested_publish_at,
        embargo_until=revision.embargo_until,
        source=revision.source,
        variants=revision.variants,
        spoiler_text=revision.spoiler_text,
        thread=revision.thread or (),
        post_id=post.pk,
    )


def charter_check(
    snapshot: PostSnapshot,
    *,
    unit: OrgUnit,
    accounts: list[SocialAccount],
    waived: frozenset[str] = frozenset(),
) -> CheckReport:
    """The charter's verdict: each account under its own charter if it has one, else the
    speaking unit's."""
    return check_groups(snapshot, charter_groups(unit, accounts), waived=waived)

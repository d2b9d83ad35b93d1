"""Length per network, measured on the published text: the body with its byline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.counting import (
    BLUESKY_MAX_BYTES,
    BLUESKY_MAX_GRAPHEMES,
    COUNT_MASTODON,
    bluesky_graphemes,
    status_length,
    utf8_bytes,
)
from charter.rules.base import Example, Finding, Rule, Severity
from charter.snapshot import PostSnapshot, RenditionSnapshot

MASTODON = "mastodon"
BLUESKY = "bluesky"


def display_handle(handle: str) -> str:
    return "@" + handle.lstrip("@")


def _which(rendition: RenditionSnapshot, index: int) -> str:
    if len(rendition.parts) == 1:
        return ""
    return " " + gettext("(part %(n)d of %(total)d of the thread)") % {
        "n": index + 1,
        "total": len(rendition.parts),
    }


def check_mastodon(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    for rendition in snapshot.renditions:
        if rendition.network != MASTODON:
            continue
        for index, text in enumerate(rendition.parts):
            used = status_length(
                text,
                rendition.spoiler_text,
                counting=rendition.counting,
                url_length=rendition.characters_reserved_per_url,
            )
            limit = rendition.max_characters
            if used <= limit:
                continue
            message = _mastodon_too_long(rendition, index, used, limit)
            yield Finding("len.mastodon", severity, message, account_id=rendition.account_id)


def _mastodon_too_long(rendition: RenditionSnapshot, index: int, used: int, limit: int) -> str:
    """Why a Mastodon part is too long, in the server's own way of counting."""
    values = {
        "handle": display_handle(rendition.handle),
        "part": _which(rendition, index),
        "used": used,
        "url": rendition.characters_reserved_per_url,
        "limit": limit,
        "excess": used - limit,
    }
    if rendition.counting == COUNT_MASTODON:
        return (
            gettext(
                "The Mastodon text for %(handle)s%(part)s is %(used)d characters including "
                "the byline and the content warning (each link counts as %(url)d); the "
                "limit is %(limit)d: remove %(excess)d."
            )
            % values
        )
    else:
        # GoToSocial, or a server whose software is not known: links in full.
        return (
            gettext(
                "The text for %(handle)s%(part)s is %(used)d characters including the "
                "byline and the content warning, as this server counts them (every "
                "character, links in full); the limit is %(limit)d: remove %(excess)d."
            )
            % values
        )


def check_bluesky(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    for rendition in snapshot.renditions:
        if rendition.network != BLUESKY:
            continue
        for index, text in enumerate(rendition.parts):
            yield from _bluesky_part(rendition, text, _which(rendition, index), severity)


def _bluesky_part(
    rendition: RenditionSnapshot, text: str, part: str, severity: Severity
) -> Iterator[Finding]:
    handle = display_handle(rendition.handle)
    graphemes = bluesky_graphemes(text)
    if graphemes > BLUESKY_MAX_GRAPHEMES:
        message = gettext(
            "The Bluesky text for %(handle)s%(part)s is %(used)d graphemes including the "
            "byline; the limit is %(limit)d: remove %(excess)d."
        ) % {
            "handle": handle,
            "part": part,
            "used": graphemes,
            "limit": BLUESKY_MAX_GRAPHEMES,
            "excess": graphemes - BLUESKY_MAX_GRAPHEMES,
        }
        yield Finding("len.bluesky", severity, message, account_id=rendition.account_id)
    size = utf8_bytes(text)
    if size > BLUESKY_MAX_BYTES:
        message = gettext(
            "The Bluesky text for %(handle)s%(part)s is %(used)d bytes including the byline; "
            "the limit is %(limit)d bytes: remove %(excess)d (an accented letter takes 2 "
            "bytes, an emoji 4 or more)."
        ) % {
            "handle": handle,
            "part": part,
            "used": size,
            "limit": BLUESKY_MAX_BYTES,
            "excess": size - BLUESKY_MAX_BYTES,
        }
        yield Finding("len.bluesky", severity, message, account_id=rendition.account_id)


BYLINE = "— DGX ^JD"


def _snapshot(network: str, body: str, *, spoiler_text: str = "") -> PostSnapshot:
    handle = "dgx@social.example" if network == MASTODON else "dgx.bsky.social"
    rendition = RenditionSnapshot(
        account_id=1,
        network=network,
        handle=handle,
        body=body,
        byline=BYLINE,
        spoiler_text=spoiler_text,
    )
    return PostSnapshot(text=body, language="fr", renditions=(rendition,))


_LINK = "https://www.example.gouv.fr/actualites/2025/un-tres-long-chemin-vers-la-page?utm=1"

LEN_MASTODON = Rule(
    code="len.mastodon",
    title=_("Length on Mastodon"),
    rationale=_(
        "The instance refuses a post over its limit (500 characters unless the instance says "
        "otherwise). It counts as the server does: the byline is part of the text, every link "
        "counts as 23 characters whatever its length, a mention of a remote account "
        "@user@domain counts as @user, everything else counts one per character as the reader "
        "sees it (an emoji, a flag or a letter with its accent is one). A content warning "
        "counts too, character by character. Other servers of the Mastodon API count their "
        "own way, read from the server when the account is connected or tested: GoToSocial "
        "counts every character and links in full (whatever it advertises); a server whose "
        "software is not known is counted both ways and the larger count holds."
    ),
    default_severity=Severity.BLOCK,
    check=check_mastodon,
    locked=True,
    waivable=False,
    examples=(
        Example(
            _("A long link counts as 23 characters."),
            _snapshot(MASTODON, "À lire : " + _LINK + " " + "x" * 450),
            passes=True,
        ),
        Example(
            _("The byline pushes a 490-character text over the limit."),
            _snapshot(MASTODON, "x" * 490),
            passes=False,
        ),
        Example(
            _("A 20-character content warning pushes a 470-character text over the limit."),
            _snapshot(MASTODON, "x" * 470, spoiler_text="Attention : violence"),
            passes=False,
        ),
    ),
)

LEN_BLUESKY = Rule(
    code="len.bluesky",
    title=_("Length on Bluesky"),
    rationale=_(
        "Bluesky refuses a post over 300 graphemes (characters as the reader sees them: an "
        "emoji, a flag or a letter with its accent is one) or over 3000 bytes in UTF-8, the "
        "byline included. Links count in full. The byte limit matters for emoji: a family "
        "emoji is one grapheme but 25 bytes."
    ),
    default_severity=Severity.BLOCK,
    check=check_bluesky,
    locked=True,
    waivable=False,
    examples=(
        Example(
            _("289 graphemes and the byline: 300 exactly."),
            _snapshot(BLUESKY, "x" * 289),
            passes=True,
        ),
        Example(
            _("A link is counted in full on Bluesky."),
            _snapshot(BLUESKY, "À lire : " + _LINK + " " + "x" * 220),
            passes=False,
        ),
        Example(
            _("280 family emoji: 291 graphemes with the byline, but 7013 bytes."),
            _snapshot(BLUESKY, "👩\u200d👩\u200d👧\u200d👦" * 280),
            passes=False,
        ),
    ),
)

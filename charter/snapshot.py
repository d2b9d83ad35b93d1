"""The frozen view of a post that the charter checks.

``charter`` never reads a model: ``editorial`` builds these dataclasses and the rules read
nothing else, so a rule is a pure function that needs no database to test.
"""

from __future__ import annotations

from dataclasses import dataclass


def with_byline(body: str, byline: str) -> str:
    """The published text of a rendition: the body, a blank line, the byline.

    The one place where the published text is composed: the charter counts what this returns
    and the publisher sends what this returns, so the two can never disagree.
    """
    if not byline:
        return body
    return body.rstrip() + "\n\n" + byline


@dataclass(frozen=True)
class MediaSnapshot:
    filename: str
    alt_text: str
    mime_type: str = ""
    size: int = 0


@dataclass(frozen=True)
class RenditionSnapshot:
    """The post as it will appear on one account (its network, its byline, its limits)."""

    account_id: int
    network: str  # "mastodon" | "bluesky", as SocialAccount.Network
    handle: str
    body: str
    byline: str
    # Mastodon instance limits, read from instance_v2; Bluesky's limits are fixed by the lexicon.
    max_characters: int = 500
    characters_reserved_per_url: int = 23

    @property
    def full_text(self) -> str:
        return with_byline(self.body, self.byline)


@dataclass(frozen=True)
class PostSnapshot:
    text: str
    language: str
    renditions: tuple[RenditionSnapshot, ...]
    media: tuple[MediaSnapshot, ...] = ()

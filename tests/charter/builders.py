"""Small snapshot builders for the charter tests (no database)."""

from __future__ import annotations

from charter.snapshot import MediaSnapshot, PostSnapshot, RenditionSnapshot


def mastodon(
    body: str,
    *,
    byline: str = "",
    account_id: int = 1,
    max_characters: int = 500,
    characters_reserved_per_url: int = 23,
    account_active: bool = True,
) -> RenditionSnapshot:
    return RenditionSnapshot(
        account_id=account_id,
        network="mastodon",
        handle="dgx@social.example",
        body=body,
        byline=byline,
        max_characters=max_characters,
        characters_reserved_per_url=characters_reserved_per_url,
        account_active=account_active,
    )


def bluesky(
    body: str, *, byline: str = "", account_id: int = 2, account_active: bool = True
) -> RenditionSnapshot:
    return RenditionSnapshot(
        account_id=account_id,
        network="bluesky",
        handle="dgx.bsky.social",
        body=body,
        byline=byline,
        account_active=account_active,
    )


def post(
    text: str = "",
    *renditions: RenditionSnapshot,
    media: tuple[MediaSnapshot, ...] = (),
) -> PostSnapshot:
    return PostSnapshot(text=text, language="fr", renditions=renditions, media=media)

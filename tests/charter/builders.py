"""Small snapshot builders for the charter tests (no database)."""

from __future__ import annotations

from charter.snapshot import MediaSnapshot, PostSnapshot, RenditionSnapshot


def mastodon(
    body: str, *, byline: str = "", account_id: int = 1, **limits: int
) -> RenditionSnapshot:
    return RenditionSnapshot(
        account_id=account_id,
        network="mastodon",
        handle="dgx@social.example",
        body=body,
        byline=byline,
        **limits,
    )


def bluesky(body: str, *, byline: str = "", account_id: int = 2) -> RenditionSnapshot:
    return RenditionSnapshot(
        account_id=account_id, network="bluesky", handle="dgx.bsky.social", body=body, byline=byline
    )


def post(
    text: str = "",
    *renditions: RenditionSnapshot,
    media: tuple[MediaSnapshot, ...] = (),
) -> PostSnapshot:
    return PostSnapshot(text=text, language="fr", renditions=renditions, media=media)

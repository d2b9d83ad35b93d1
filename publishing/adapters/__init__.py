"""Network adapters: the only code that talks to Mastodon and Bluesky servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import (
    Adapter,
    Credentials,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
    PublishError,
)

# The Bluesky package loads the SDK with its models left lazy before anything imports it.
from .bluesky import BlueskyAdapter
from .mastodon import MastodonAdapter

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "Adapter",
    "BlueskyAdapter",
    "Credentials",
    "MastodonAdapter",
    "OutgoingPost",
    "PreparedPayload",
    "PublishError",
    "PublishedRef",
    "get_adapter",
]


def get_adapter(
    network: str,
    *,
    timeout: float,
    allow_http: bool,
    on_session_change: Callable[[str], None] | None = None,
) -> Adapter:
    """The adapter for a ``SocialAccount.Network`` value.

    ``allow_http`` is for loopback test peers only. ``on_session_change`` receives every new
    Bluesky session string (to store encrypted); Mastodon tokens do not change, so it is unused.
    """
    if network == "mastodon":
        return MastodonAdapter(timeout=timeout, allow_http=allow_http)
    if network == "bluesky":
        return BlueskyAdapter(
            timeout=timeout, allow_http=allow_http, on_session_change=on_session_change
        )
    raise ValueError(f"Unknown network {network!r}")

"""Network adapters: the only code that talks to Mastodon and Bluesky servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import atproto_import

# Before anything imports the Bluesky SDK: it then loads only the models it uses.
atproto_import.load()

from .base import (  # noqa: E402
    Adapter,
    Credentials,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
    PublishError,
)
from .bluesky import BlueskyAdapter  # noqa: E402
from .mastodon import MastodonAdapter  # noqa: E402

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

"""The public link of a published post, and one that opens when the server is on this machine.

A real server's post has a web page (Mastodon's ``status.url``, ``bsky.app`` for Bluesky). The
demo's and tests' peers run on loopback and have none: mastodon-mock answers 404 for
``/@user/<id>``, and ``bsky.app`` knows nothing of a ``.test`` handle on a local PDS. For those,
the link is the post as the server itself serves it, which opens in a browser: the status
from the Mastodon REST API, the record from the PDS's ``com.atproto.repo.getRecord``.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = ["bluesky_post_url", "is_local_host", "mastodon_status_url"]

# Names that never resolve on the public Internet (RFC 6761, RFC 2606): test peers only.
_LOCAL_SUFFIXES = (".test", ".localhost", ".invalid", ".example")


def is_local_host(host: str) -> bool:
    """True for ``localhost``, a loopback address or a reserved test domain."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _local_server(server_url: str) -> bool:
    return is_local_host(urlsplit(server_url).hostname or "")


def mastodon_status_url(server_url: str, status: Any) -> str:
    """The status's web page; on a local server, the status from the REST API."""
    if _local_server(server_url):
        return f"{server_url.rstrip('/')}/api/v1/statuses/{status['id']}"
    return str(status["url"] or status["uri"])


def bluesky_post_url(*, server_url: str, handle: str, did: str, rkey: str) -> str:
    """The post on bsky.app; for a local PDS or a ``.test`` handle, the record from the PDS."""
    if _local_server(server_url) or is_local_host(handle):
        query = urlencode({"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey})
        return f"{server_url.rstrip('/')}/xrpc/com.atproto.repo.getRecord?{query}"
    return f"https://bsky.app/profile/{handle}/post/{rkey}"

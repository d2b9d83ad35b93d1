"""Link cards for Bluesky: the ``app.bsky.embed.external`` built from a page's OpenGraph tags.

Bluesky does not fetch links for us: the card (title, description, thumbnail blob) is part of
the record. It is built once, at prepare time, so every attempt sends the same record; a page
that cannot be read gives no card and the post goes out without one.

The fetch reads arbitrary URLs written by authors, so it is careful: http(s) only, a short
timeout, a size cap, a few redirects at most, each checked again, and no private, loopback
or link-local address unless ``allow_private`` (the loopback test peers).
"""

from __future__ import annotations

import io
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from PIL import Image, UnidentifiedImageError

from ..base import MediaItem, PublishError
from .images import blob_ref, fit_image

# app.bsky.embed.external: thumb is an image blob of at most 1,000,000 bytes.
MAX_THUMB_BYTES = 1_000_000
# The page is read up to this size (the OpenGraph tags are in its head); an image over the
# image cap is not used.
MAX_PAGE_BYTES = 1_000_000
MAX_IMAGE_BYTES = 5_000_000
MAX_REDIRECTS = 3
# Lexicon limits are generous; clients show a line or two, the rest is noise in the record.
MAX_TITLE = 300
MAX_DESCRIPTION = 1000
_PILLOW_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
_USER_AGENT = "porte-voix (link preview)"


class CardUnavailable(Exception):
    """Why no card: recorded in the payload as ``none (reason)``."""


@dataclass(frozen=True)
class LinkCard:
    uri: str
    title: str
    description: str
    thumb: MediaItem | None = None

    def embed(self) -> dict[str, Any]:
        external: dict[str, Any] = {
            "uri": self.uri,
            "title": self.title,
            "description": self.description,
        }
        if self.thumb is not None:
            external["thumb"] = blob_ref(self.thumb)
        return {"$type": "app.bsky.embed.external", "external": external}


class _OpenGraph(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key and key not in self.meta and values.get("content"):
                self.meta[key] = values["content"].strip()
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse_open_graph(html: str) -> dict[str, str]:
    """og:title, og:description and og:image, falling back on <title> and the description."""
    parser = _OpenGraph()
    parser.feed(html)
    parser.close()
    meta = parser.meta
    return {
        "title": (meta.get("og:title") or parser.title).strip()[:MAX_TITLE],
        "description": (meta.get("og:description") or meta.get("description") or "").strip()[
            :MAX_DESCRIPTION
        ],
        "image": meta.get("og:image") or meta.get("og:image:url") or "",
    }


def _resolve_public(host: str, port: int, *, timeout: float) -> str:
    """One address of ``host``, refused unless every address it has is public.

    ``getaddrinfo`` has no timeout of its own: it runs in a thread that is abandoned (it ends
    by itself) when it takes longer than ``timeout``.
    """
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        pool = ThreadPoolExecutor(max_workers=1)
        future = pool.submit(socket.getaddrinfo, host, port, proto=socket.IPPROTO_TCP)
        pool.shutdown(wait=False)
        try:
            infos = future.result(timeout=timeout)
        except FutureTimeout as exc:
            raise CardUnavailable(f"cannot resolve {host} in time") from exc
        except OSError as exc:
            raise CardUnavailable(f"cannot resolve {host}") from exc
        addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(ipaddress.ip_address(a).is_global for a in addresses):
        raise CardUnavailable(f"{host} is a private address")
    return addresses[0]


@dataclass(frozen=True)
class _Target:
    url: str
    headers: dict[str, str]
    extensions: dict[str, Any]


def _target(url: str, *, allow_private: bool, timeout: float) -> _Target:
    """What to request for ``url``: in production, pinned to the address just checked (a
    second DNS answer cannot send the request to an internal host), with the name kept in the
    Host header and in TLS (SNI and certificate check)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise CardUnavailable(f"not an http(s) URL: {url[:100]}")
    if allow_private:
        return _Target(url, {}, {})
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolve_public(parts.hostname, port, timeout=timeout)
    host = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return _Target(pinned, {"Host": parts.netloc.rsplit("@", 1)[-1]}, extensions)


def _get(client: httpx.Client, url: str, *, cap: int, truncate: bool, allow_private: bool) -> bytes:
    """GET ``url`` following at most ``MAX_REDIRECTS``, each target checked before the call."""
    timeout = client.timeout.connect or 5.0
    for _hop in range(MAX_REDIRECTS + 1):
        target = _target(url, allow_private=allow_private, timeout=timeout)
        with client.stream(
            "GET", target.url, headers=target.headers, extensions=target.extensions
        ) as response:
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code != 200:
                raise CardUnavailable(f"HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > cap:
                    if truncate:
                        return bytes(body[:cap])
                    raise CardUnavailable(f"over {cap} bytes")
            return bytes(body)
    raise CardUnavailable("too many redirects")


def _thumbnail(data: bytes, name: str) -> MediaItem | None:
    """The image as the PDS will sniff it, fitted under the thumb limit; None if unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            mime = _PILLOW_TYPES.get(str(image.format))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if mime is None:
        return None
    item = MediaItem(data=data, mime_type=mime, alt_text="", filename=name)
    try:
        return fit_image(item, max_bytes=MAX_THUMB_BYTES)
    except PublishError:
        return None


def _fetch_thumb(client: httpx.Client, image_url: str, *, allow_private: bool) -> MediaItem | None:
    try:
        data = _get(
            client, image_url, cap=MAX_IMAGE_BYTES, truncate=False, allow_private=allow_private
        )
    except CardUnavailable:
        return None  # the card goes out without its picture
    return _thumbnail(data, urlsplit(image_url).path.rsplit("/", 1)[-1])


def fetch_card(url: str, *, timeout: float, allow_private: bool) -> LinkCard:
    """The card for ``url``; ``CardUnavailable`` with a short reason when there is none.

    A missing or unusable image gives a card without a thumbnail.
    """
    headers = {"User-Agent": _USER_AGENT, "Accept": "text/html,application/xhtml+xml"}
    try:
        with httpx.Client(timeout=timeout, headers=headers, follow_redirects=False) as client:
            page = _get(client, url, cap=MAX_PAGE_BYTES, truncate=True, allow_private=allow_private)
            tags = parse_open_graph(page.decode("utf-8", "replace"))
            if not tags["title"]:
                raise CardUnavailable("the page has no title")
            thumb = None
            if tags["image"]:
                thumb = _fetch_thumb(
                    client, urljoin(url, tags["image"]), allow_private=allow_private
                )
    except httpx.HTTPError as exc:
        raise CardUnavailable(type(exc).__name__) from exc
    return LinkCard(uri=url, title=tags["title"], description=tags["description"], thumb=thumb)

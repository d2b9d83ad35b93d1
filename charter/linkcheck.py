"""Fetching a link to tell whether it works: the charter's only network code, run by a worker.

A HEAD first (cheap), a GET when the server refuses HEAD; redirects followed (at most five);
a short timeout. Addresses on private, loopback or link-local networks are refused unless
LINKCHECK_ALLOW_PRIVATE (development and tests): officers paste links, and a worker that
fetched any address would let them probe the internal network.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

MAX_REDIRECTS = 5
_USER_AGENT = "Porte-voix link check (+https://github.com/porte-voix)"


@dataclass(frozen=True)
class Answer:
    ok: bool
    detail: str


def _private(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # the fetch reports the DNS failure in words
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local:
            return True
    return False


def _refusal(url: str, *, allow_private: bool) -> Answer | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Answer(False, f"not a web address: {url}")
    if not allow_private and _private(parts.hostname):
        return Answer(False, "address on a private network: not checked")
    return None


def fetch(url: str, *, timeout: float, allow_private: bool) -> Answer:
    """Whether ``url`` answers with a page (status < 400), in words when it does not."""
    current = url
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": _USER_AGENT}
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                refused = _refusal(current, allow_private=allow_private)
                if refused is not None:
                    return refused
                response = client.head(current)
                if response.status_code in (403, 405, 501):
                    response = client.get(current)  # some servers refuse HEAD only
                if response.is_redirect and "location" in response.headers:
                    current = str(response.url.join(response.headers["location"]))
                    continue
                status = f"{response.status_code} {response.reason_phrase}"
                return Answer(response.status_code < 400, status)
    except httpx.TimeoutException:
        return Answer(False, "no answer in time")
    except httpx.HTTPError as exc:
        return Answer(False, f"unreachable ({type(exc).__name__})")
    return Answer(False, "too many redirects")

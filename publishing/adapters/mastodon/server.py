"""Which server software speaks the Mastodon client API on an instance, and what it keeps.

Many servers implement Mastodon's client API (GoToSocial, Pleroma/Akkoma, Takahē...) but
differ where exactly-once and lengths are decided:
- only Mastodon honours ``Idempotency-Key`` (GoToSocial ignores it, Takahē does not
  implement it): elsewhere a resend after a lost answer makes a second status;
- Mastodon counts a link as ``characters_reserved_per_url`` and counts graphemes;
  GoToSocial counts the code points of the text and content warning with links at full
  length, although its instance document advertises 25 per link.

The software is read from NodeInfo (``/.well-known/nodeinfo`` then the 2.x document it
links to, https://nodeinfo.diaspora.software/protocol.html), falling back to the
``version`` string of the instance document. Pure network code: no database.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

# How a server measures a status against its limit (``charter.counting.status_length``).
COUNT_MASTODON = "mastodon"  # graphemes; links as characters_reserved_per_url
COUNT_CODEPOINTS = "codepoints"  # code points of text + warning; links at full length
COUNT_CONSERVATIVE = "conservative"  # unknown software: the larger of both counts

# Software whose counting we know; anything else is counted conservatively.
_COUNTING = {"mastodon": COUNT_MASTODON, "gotosocial": COUNT_CODEPOINTS}
# Mastodon forks that keep its status creation (and so its Idempotency-Key handling).
_MASTODON_FORKS = {"mastodon", "hometown", "glitch", "glitchsoc", "chuckya"}
_NODEINFO_SCHEMAS = (
    "http://nodeinfo.diaspora.software/ns/schema/2.1",
    "http://nodeinfo.diaspora.software/ns/schema/2.0",
)
_KNOWN_IN_VERSION = ("gotosocial", "pleroma", "akkoma", "takahe", "takahē", "iceshrimp")
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class ServerInfo:
    """What Porte-voix keeps about an account's server (``SocialAccount.server_info``)."""

    software: str  # NodeInfo software.name, lower case; "" when nobody says
    version: str
    max_characters: int
    characters_reserved_per_url: int
    counting: str  # COUNT_*
    honours_idempotency_key: bool
    # The scopes the token was granted, when known ([] otherwise), and those Porte-voix
    # needs but the token lacks (found by probing the server).
    scopes: tuple[str, ...] = ()
    missing_scopes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["scopes"] = list(self.scopes)
        data["missing_scopes"] = list(self.missing_scopes)
        return data


def counting_for(software: str) -> str:
    if software in _MASTODON_FORKS:
        return COUNT_MASTODON
    return _COUNTING.get(software, COUNT_CONSERVATIVE)


def honours_idempotency_key(software: str) -> bool:
    """Only Mastodon is known to keep an ``Idempotency-Key`` (one hour per user)."""
    return software in _MASTODON_FORKS


def software_from_version(version: str) -> str:
    """Best guess from an instance ``version`` string when NodeInfo says nothing.

    Pleroma and Akkoma answer ``"2.7.2 (compatible; Akkoma 3.10)"``, GoToSocial
    ``"0.17.0 git-..."``; a plain semantic version of 1 or more is Mastodon's own.
    """
    lowered = version.lower()
    for name in _KNOWN_IN_VERSION:
        if name in lowered:
            return name.replace("takahē", "takahe")
    match = _SEMVER.match(version)
    if match and int(match.group(1)) >= 1 and "compatible" not in lowered:
        return "mastodon"
    return ""


def nodeinfo_software(
    session: requests.Session, base_url: str, *, timeout: float
) -> tuple[str, str] | None:
    """``(name, version)`` from the instance's NodeInfo, or None when it has none.

    Only a document on the instance's own host is followed: the link comes from the
    server, and we send nothing else to wherever it points.
    """
    try:
        index = session.get(f"{base_url}/.well-known/nodeinfo", timeout=timeout)
        if index.status_code != 200:
            return None
        links = index.json().get("links", [])
        href = next(
            (
                str(link.get("href"))
                for schema in _NODEINFO_SCHEMAS
                for link in links
                if isinstance(link, dict) and link.get("rel") == schema
            ),
            None,
        )
        if href is None or urlsplit(href).hostname != urlsplit(base_url).hostname:
            return None
        document = session.get(href, timeout=timeout)
        if document.status_code != 200:
            return None
        software = document.json().get("software", {})
        return str(software.get("name") or "").lower(), str(software.get("version") or "")
    except (requests.RequestException, ValueError, AttributeError, TypeError):
        # No NodeInfo, or not JSON as expected: the instance document is asked instead.
        return None


def statuses_configuration(instance: Any) -> tuple[int, int]:
    """``(max_characters, characters_reserved_per_url)`` from an instance document (v2 or
    v1); Pleroma-likes put ``max_toot_chars`` at the top of v1. Mastodon's defaults (500,
    23) where the server says nothing."""
    configuration = instance.get("configuration") or {}
    statuses = configuration.get("statuses") or {}
    maximum = statuses.get("max_characters") or instance.get("max_toot_chars") or 500
    per_url = statuses.get("characters_reserved_per_url") or 23
    return int(maximum), int(per_url)

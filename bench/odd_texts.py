"""Hostile texts for the charter, shared by the robustness tests (which check that every rule
and the whole check survive them) and bench/charter_worst_case.py (which times them: how fast
is a goal for a benchmark, not a test's assertion on whatever machine runs it). It lives in
bench/ because production-side tools never import ``tests``."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from charter.elections import PARIS
from charter.snapshot import (
    ElectionWindowSnapshot,
    MediaSnapshot,
    PostSnapshot,
    RenditionSnapshot,
)

FAMILY = "👩\u200d👩\u200d👧\u200d👦"

# Inside a pre-electoral period and its electoral silence, under embargo, with an author to
# compare bylines with: every time- and author-dependent rule runs its full path.
ELECTION = ElectionWindowSnapshot(
    "Municipales", "municipal", date(2025, 9, 1), (date(2026, 3, 15),)
)


def in_context(snapshot: PostSnapshot, author: str = "DGX") -> PostSnapshot:
    return dataclasses.replace(
        snapshot,
        scheduled_for=datetime(2026, 3, 14, 9, 0, tzinfo=PARIS),
        embargo_until=datetime(2026, 3, 20, 9, 0, tzinfo=PARIS),
        author_unit_code=author,
        author_initials=author[:2],
        election_windows=(ELECTION,),
    )


ODD_TEXTS = {
    "empty": "",
    "100k-paste": ("Bonjour à tous, appelez le 06 12 34 56 78 #servicepublic 🎉 " * 1700)[:100_000],
    "100k-digits": "0" * 100_000,
    "100k-caps": "ABC " * 25_000,
    "100k-styled": "\U0001d400" * 100_000,
    "lone-surrogates": "\ud800a\udfff@\udc00.fr #\ud83d",
    "nul-and-controls": "\x00\x01\x1b[31mCONFIDENTIEL\x7f\x85\u2028\u2029",
    "bidi-overrides": "\u202eFR76 3000 6000 0112 3456 7890 189\u202c \u2066#tag\u2069 \u200f",
    "zwj": "👩\u200d👩\u200d👧\u200d👦" * 1000 + "a\u200db\u200c",
    "combining": "e" + "\u0301" * 50_000,
    "lonely-marks": "#" * 1000 + "@" * 1000 + "." * 1000 + "\n" * 1000,
    "long-email-ish": "a" * 70 + "@" + "b." * 5000 + "fr",
    "long-iban-ish": "FR76 " + "1234 " * 5000,
}


def _snapshot(text: str, *, bluesky_byline: str, media: tuple[MediaSnapshot, ...]) -> PostSnapshot:
    """The text on one Mastodon account (byline: the text) and one Bluesky account."""
    renditions = (
        RenditionSnapshot(1, "mastodon", "dgx@social.example", text, text),
        RenditionSnapshot(2, "bluesky", "dgx.bsky.social", text, bluesky_byline),
    )
    return PostSnapshot(text=text, language="fr", renditions=renditions, media=media)


def odd_media(text: str) -> tuple[MediaSnapshot, ...]:
    return (
        MediaSnapshot(text, text, mime_type="image/jpeg", size=len(text)),
        MediaSnapshot("a.jpg", text[:3000], mime_type=text[:20]),
    )


def rule_snapshot(text: str) -> PostSnapshot:
    """The snapshot each rule gets for one of ODD_TEXTS: the text everywhere it can go."""
    return in_context(_snapshot(text, bluesky_byline="", media=odd_media(text)), text[:50])


# Texts for the whole check (every rule at once, then the counters).
CHECK_ODD_TEXTS = {
    "empty": "",
    "space": " ",
    "nul": "\x00",
    "lone-surrogate": "\ud800",
    "mixed": "a\udfffb\x00" * 10,
    "100k": "x" * 100_000,
    "dots": "https://" + "a." * 50_000,
    "parens": "https://a.com/" + "(a" * 50_000,
    "mention": "@a@" + "b." * 50_000,
    "emoji": FAMILY * 20_000,
    "combining": "\u0301" * 100_000,
}


def check_snapshot(text: str) -> PostSnapshot:
    """The snapshot the whole check gets for one of CHECK_ODD_TEXTS."""
    media = (MediaSnapshot(text, text, mime_type=text),)
    return _snapshot(text, bluesky_byline=text, media=media)

"""Bluesky post options: self-labels in the record, and the reply gate as a threadgate record.

The threadgate (https://docs.bsky.app/docs/advanced-guides/moderation#thread-gates) is a
separate ``app.bsky.feed.threadgate`` record whose key must be the post's key. ``prepare``
stores what it allows and its ``createdAt`` in the payload; the record itself names the post
by its at:// URI, which needs the account's DID, so it is completed at send time from the
stored parts: every attempt writes the same bytes.
"""

from __future__ import annotations

from typing import Any

THREADGATE_COLLECTION = "app.bsky.feed.threadgate"
POST_COLLECTION = "app.bsky.feed.post"

# The values the lexicon lets a post carry about itself (com.atproto.label.defs#selfLabels).
SELF_LABELS = frozenset({"graphic-media", "nudity", "porn", "sexual"})

# app.bsky.feed.threadgate ``allow``: an empty list lets nobody reply; no record, everybody.
THREADGATE_RULES: dict[str, list[dict[str, str]]] = {
    "nobody": [],
    "mentioned": [{"$type": "app.bsky.feed.threadgate#mentionRule"}],
    "followers": [{"$type": "app.bsky.feed.threadgate#followerRule"}],
}


class UnknownOption(ValueError):
    pass


def self_labels(value: str) -> dict[str, Any] | None:
    if not value:
        return None
    if value not in SELF_LABELS:
        raise UnknownOption(f"Bluesky has no self-label {value!r}.")
    return {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": value}]}


def threadgate_spec(reply_gate: str, created_at: str) -> dict[str, Any] | None:
    """What the payload keeps of the threadgate; None when everybody may reply."""
    if not reply_gate:
        return None
    if reply_gate not in THREADGATE_RULES:
        raise UnknownOption(f"Unknown reply gate {reply_gate!r}.")
    return {"allow": THREADGATE_RULES[reply_gate], "createdAt": created_at}


def threadgate_record(spec: dict[str, Any], *, did: str, rkey: str) -> dict[str, Any]:
    return {
        "$type": THREADGATE_COLLECTION,
        "post": f"at://{did}/{POST_COLLECTION}/{rkey}",
        "allow": spec["allow"],
        "createdAt": spec["createdAt"],
    }

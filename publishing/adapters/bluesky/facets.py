"""Bluesky rich-text facets: find links, mentions and hashtags, and locate them in UTF-8 bytes.

Bluesky does not parse post text: a link, a mention or a tag is only live if the record
carries a facet pointing at its exact byte range in the UTF-8 encoding of the text
(https://docs.bsky.app/docs/advanced-guides/post-richtext). Offsets in Python strings count
code points, so every span found here is converted with ``byte_range`` before it is stored.

Everything here is pure: detection never touches the network; ``build_facets`` takes the
handle resolver as a function so the adapter can plug in ``resolveHandle`` and tests a dict.

Deliberate choices (one text is written for both networks):
- links are explicit ``http://`` / ``https://`` URLs only; a bare ``example.org`` stays text,
  as it does on Mastodon;
- a hashtag is ``#`` followed by letters, marks, digits or ``_`` with at least one letter,
  Mastodon's rule, so ``#café-théâtre`` tags ``café`` on both networks;
- a mention is ``@`` plus a full handle (``name.domain``); handles that do not resolve to a
  DID are left as plain text, never sent as a broken facet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

SpanKind = Literal["link", "mention", "tag"]

# A facet may only start at the beginning of the text, after whitespace or after an opening
# bracket or quote: "mail@example.org" is not a mention and "page#top" is not a tag.
_BOUNDARY = r"(?<![^\s(\[{«\"'“\u2018])"

_LINK_RE = re.compile(_BOUNDARY + r"https?://[^\s<>\"]+", re.IGNORECASE)

# Handle syntax from https://atproto.com/specs/handle: dot-separated labels, at least two,
# the last one starting with a letter. The lookaheads refuse to stop in the middle of a
# longer name ("@a.example-x" or "@a.example.org" must not match as "@a.example").
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_TLD = r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_MENTION_RE = re.compile(
    _BOUNDARY + rf"@((?:{_LABEL}\.)+{_TLD})(?![a-zA-Z0-9-])(?!\.[a-zA-Z0-9])", re.ASCII
)

_TAG_START_RE = re.compile(_BOUNDARY + "[#\uff03]")  # also the full-width sign

# Punctuation that ends a sentence or closes a quote rather than belonging to the URL.
_LINK_TRAILING = ".,;:!?…»”\u2019\"'"
_LINK_CLOSERS = {")": "(", "]": "[", "}": "{"}

# app.bsky.richtext.facet#tag: at most 64 graphemes and 640 bytes, without the "#".
_TAG_MAX_GRAPHEMES = 64
_TAG_MAX_BYTES = 640


@dataclass(frozen=True)
class Span:
    """A facet candidate in code points: ``text[start:end]`` is what the reader sees."""

    kind: SpanKind
    start: int
    end: int
    value: str  # the URI, the handle without "@", or the tag without "#"


def byte_range(text: str, start: int, end: int) -> tuple[int, int]:
    """Code-point offsets to UTF-8 byte offsets (``byteStart`` inclusive, ``byteEnd`` exclusive)."""
    byte_start = len(text[:start].encode("utf-8"))
    return byte_start, byte_start + len(text[start:end].encode("utf-8"))


def _trim_link(url: str) -> str:
    """Drop the punctuation that follows a URL in prose, keeping balanced brackets.

    "(voir https://ex.org/a_(b))." keeps "https://ex.org/a_(b)"; "https://ex.org/a)." loses ")."
    """
    while url:
        last = url[-1]
        unbalanced = last in _LINK_CLOSERS and url.count(last) > url.count(_LINK_CLOSERS[last])
        if last not in _LINK_TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def detect_links(text: str) -> list[Span]:
    spans = []
    for match in _LINK_RE.finditer(text):
        url = _trim_link(match.group())
        scheme_end = url.index("//") + 2
        if len(url) <= scheme_end:  # "https://" alone
            continue
        spans.append(Span("link", match.start(), match.start() + len(url), url))
    return spans


def detect_mentions(text: str) -> list[Span]:
    return [
        Span("mention", match.start(), match.end(), match.group(1))
        for match in _MENTION_RE.finditer(text)
    ]


def _is_tag_char(char: str) -> bool:
    return char == "_" or unicodedata.category(char)[0] in "LMN"


def detect_tags(text: str) -> list[Span]:
    spans = []
    for match in _TAG_START_RE.finditer(text):
        end = match.end()
        while end < len(text) and _is_tag_char(text[end]):
            end += 1
        tag = text[match.end() : end]
        # "#1" is a number, not a tag; a leading mark would glue onto the "#".
        if not any(unicodedata.category(c)[0] == "L" for c in tag):
            continue
        if unicodedata.category(tag[0])[0] == "M":
            continue
        graphemes = sum(1 for c in tag if unicodedata.category(c)[0] != "M")
        if graphemes > _TAG_MAX_GRAPHEMES or len(tag.encode("utf-8")) > _TAG_MAX_BYTES:
            continue  # the server would refuse the record: leave it as text
        spans.append(Span("tag", match.start(), end, tag))
    return spans


def detect_spans(text: str) -> list[Span]:
    """All candidates, sorted, without overlaps: a "#" or "@" inside a URL belongs to the URL."""
    links = detect_links(text)
    spans = list(links)
    for span in detect_mentions(text) + detect_tags(text):
        if not any(span.start < link.end and link.start < span.end for link in links):
            spans.append(span)
    return sorted(spans, key=lambda span: span.start)


def _feature(span: Span, did: str | None) -> dict[str, str]:
    if span.kind == "link":
        return {"$type": "app.bsky.richtext.facet#link", "uri": span.value}
    if span.kind == "tag":
        return {"$type": "app.bsky.richtext.facet#tag", "tag": span.value}
    return {"$type": "app.bsky.richtext.facet#mention", "did": did or ""}


def build_facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """The ``facets`` array of an ``app.bsky.feed.post`` record, as JSON-ready dicts.

    ``resolve_handle`` gets a lower-cased handle and returns its DID, or ``None`` when the
    handle does not exist; it is called once per distinct handle. It may raise: a resolver
    that cannot reach the server must not silently turn mentions into plain text.
    """
    dids: dict[str, str | None] = {}
    facets: list[dict[str, Any]] = []
    for span in detect_spans(text):
        did = None
        if span.kind == "mention":
            handle = span.value.lower()
            if handle not in dids:
                dids[handle] = resolve_handle(handle)
            did = dids[handle]
            if did is None:
                continue
        byte_start, byte_end = byte_range(text, span.start, span.end)
        facets.append(
            {
                "index": {"byteStart": byte_start, "byteEnd": byte_end},
                "features": [_feature(span, did)],
            }
        )
    return facets


def first_link(facets: list[dict[str, Any]]) -> str | None:
    """The first link of a post's facets (its link card's page)."""
    for facet in facets:
        for feature in facet.get("features", []):
            if feature.get("$type") == "app.bsky.richtext.facet#link":
                return str(feature["uri"])
    return None

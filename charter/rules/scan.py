"""What several rules need to find in a post's text: links, mentions, hashtags, emoji, words.

Every helper takes the text and returns codepoint offsets into it, so findings can point at the
very characters the author typed. Results are cached by text: a check runs a dozen rules over
the same text, and each would otherwise scan it again.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from charter.counting import MENTION_RE, url_spans

Span = tuple[int, int]

# Stands in for a link, a mention or a hashtag in the masked text: not a letter, not a space,
# so it neither counts as a word nor joins the words around it.
MASK = "\ufffc"

# Mastodon's Tag::HASHTAG_RE, simplified: "#" not glued to a word, a slash or "=", then word
# characters with at least one letter ("#2026" is not a hashtag).
HASHTAG_RE = regex.compile(r"(?<![=/)\w#])#(\w*\p{L}\w*)")

# A grapheme that starts with a pictograph, a regional indicator or a keycap base: the regex
# module's \X keeps a ZWJ sequence, a skin tone or a flag together.
_EMOJI_CANDIDATE = regex.compile(
    r"(?=[\p{Extended_Pictographic}\p{Regional_Indicator}]|[0-9#*]\ufe0f?\u20e3)\X"
)
# Pictographs that are ordinary typography unless the emoji presentation is asked for (U+FE0F).
_TYPOGRAPHIC = frozenset("©®™‼⁉↔↕↖↗↘↙↩↪▪▫▶◀◻◼☑✔✖〰〽")


@lru_cache(maxsize=16)
def entities(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, kind) of every link, mention and hashtag, in order, without overlaps.

    A "#" inside a link or an "@" inside an e-mail address belongs to that entity.
    """
    found: list[tuple[int, int, str]] = [(start, end, "url") for start, end in url_spans(text)]
    found.extend((m.start(), m.end(), "mention") for m in MENTION_RE.finditer(text))
    found.extend((m.start(), m.end(), "hashtag") for m in HASHTAG_RE.finditer(text))
    found.sort(key=lambda entity: (entity[0], entity[2] != "url"))
    kept: list[tuple[int, int, str]] = []
    for entity in found:
        if not kept or kept[-1][1] <= entity[0]:
            kept.append(entity)
    return tuple(kept)


def spans_of(text: str, kind: str) -> list[Span]:
    return [(start, end) for start, end, k in entities(text) if k == kind]


@lru_cache(maxsize=16)
def masked(text: str) -> str:
    """The text with every link, mention and hashtag replaced by MASK, offsets unchanged."""
    found = entities(text)
    if not found:
        return text
    parts: list[str] = []
    position = 0
    for start, end, _kind in found:
        parts.extend((text[position:start], MASK * (end - start)))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _is_emoji(cluster: str) -> bool:
    if "\ufe0f" in cluster or "\u20e3" in cluster or len(cluster) > 1:
        return True
    return cluster not in _TYPOGRAPHIC


@lru_cache(maxsize=16)
def emoji(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, emoji) of every emoji, a ZWJ sequence or a flag counted once."""
    return tuple(
        (m.start(), m.end(), m.group())
        for m in _EMOJI_CANDIDATE.finditer(text)
        if _is_emoji(m.group())
    )


def emoji_key(cluster: str) -> str:
    """The same emoji whether or not the emoji presentation selector was typed."""
    return cluster.replace("\ufe0f", "")

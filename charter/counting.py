"""How each network measures a post, so the charter refuses exactly what the server would.

Mastodon (app/validators/status_length_validator.rb, 4.x): the server rewrites the text before
counting: every URL becomes ``characters_reserved_per_url`` characters and every mention
``@user@domain`` becomes ``@user``; then it counts **extended grapheme clusters**
(``str.each_grapheme_cluster.size``; older releases used ``mb_chars.grapheme_length``, the same
measure). Only Mastodon 1.x counted codepoints with ``String#length``. The entities are those
of twitter-text's extractor with Mastodon's overrides (config/initializers/twitter_regex.rb,
app/lib/extractor.rb, ``Account::MENTION_RE``); we reproduce their rules below except the TLD
list, approximated by "letters after the last dot". The content warning shares the budget on
Mastodon; it is not part of the snapshot yet.

Other servers of the Mastodon API count differently (``status_length``): GoToSocial counts
the Unicode code points of the text and the content warning, links at full length (although
its instance document advertises 25 per link); software we do not know is counted both ways
and the larger count holds.

Bluesky (lexicon app.bsky.feed.post): ``text`` has ``maxGraphemes: 300`` and
``maxLength: 3000`` (UTF-8 bytes). Links are counted in full.
"""

from __future__ import annotations

import regex

BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000
MASTODON_URL_LENGTH = 23
MAX_URL_LENGTH = 4096  # twitter-text: a longer "URL" is not one, and counts in full

_GRAPHEME = regex.compile(r"\X")
_BLANK = regex.compile(r"\p{White_Space}*")

# --- twitter-text URL, as Mastodon overrides it -------------------------------------------------
# Only URLs with a protocol count (Mastodon calls the extractor with
# extract_url_without_protocol: false).
_PROTOCOL = r"(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://"
# A domain character: anything but ASCII punctuation, spaces, controls and invalid characters.
_DV = r"""[^\s\p{Cc}\uFFFE\uFEFF\uFFFF!"\#$%&'()*+,\-./:;<=>?@\[\]^_`{|}~]"""
# twitter-text's (?:DV(?:[_-]|DV)*)?DV\. written possessively: a label's end is fixed by its dot,
# and backtracking inside labels made long hostile inputs quadratic with the regex module.
_SUBDOMAIN = rf"(?:{_DV}(?:[_-]*+{_DV})*+\.)"
_DOMAIN_NAME = rf"(?:{_DV}(?:-*+{_DV})*+\.)"
# twitter-text checks the TLD against IANA's list; letters (or punycode) is close enough.
_TLD = r"(?:xn--[0-9a-z]+|\p{L}{2,63})(?=[^\p{Alnum}@]|$)"
# A DNS name has at most 127 labels; the bound also keeps backtracking linear on hostile input.
_DOMAIN = rf"(?:{_SUBDOMAIN}{{0,125}}{_DOMAIN_NAME}{_TLD})"
_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_BALANCED_PARENS = rf"(?:\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\))"
_PATH_END = rf"""(?:[^\p{{White_Space}}()?!*"'「」<>;:=,.$%\[\]~&|@]|{_BALANCED_PARENS})"""
_PATH = rf"(?:(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:{_PATH_CHAR}+/))"
_UCHARS = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
    "\U00010000-\U0001fffd\U00020000-\U0002fffd\U00030000-\U0003fffd\U00040000-\U0004fffd"
    "\U00050000-\U0005fffd\U00060000-\U0006fffd\U00070000-\U0007fffd\U00080000-\U0008fffd"
    "\U00090000-\U0009fffd\U000a0000-\U000afffd\U000b0000-\U000bfffd\U000c0000-\U000cfffd"
    "\U000d0000-\U000dfffd\U000e1000-\U000efffd\ue000-\uf8ff\U000f0000-\U000ffffd"
    "\U00100000-\U0010fffd"
)
_QUERY_CHAR = rf"[a-z0-9!?*'();:&=+$/%\#\[\]\-_.,~|@\^{_UCHARS}]"
_QUERY_END = rf"[a-z0-9_&=\#/\-{_UCHARS}]"
URL_RE = regex.compile(
    rf"(?<![A-Z0-9@\uFF20$\#\uFF03\uFFFE\uFEFF\uFFFF])"
    rf"{_PROTOCOL}(?P<domain>{_DOMAIN})(?::[0-9]+)?(?:/{_PATH}*)?(?:\?{_QUERY_CHAR}*{_QUERY_END})?",
    regex.IGNORECASE,
)

# --- Account::MENTION_RE and Extractor.extract_mentions_or_lists_with_indices ------------------
MENTION_RE = regex.compile(
    r"(?<![=/\w])@((?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?)"
)
# twitter-text's end_mention_match: a mention followed by one of these is not a mention.
_MENTION_END = regex.compile(
    "[@\uff20\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
    "\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|://"
)


def _valid_domain(url: str, domain: str) -> bool:
    """twitter-text's is_valid_domain: the domain converts to ASCII (IDNA 2003, as libidn) and
    the URL, with its domain so converted, is at most 4096 characters."""
    try:
        ascii_length = len(domain.encode("idna"))
    except UnicodeError:  # a label empty or over 63 characters, a lone surrogate...
        return False
    return len(url) + max(0, ascii_length - len(domain)) <= MAX_URL_LENGTH


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL Mastodon recognises, as codepoint offsets in ``text``."""
    return [
        (m.start(), m.end())
        for m in URL_RE.finditer(text)
        if _valid_domain(m.group(), m.group("domain"))
    ]


def _entities(text: str, url_length: int) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of every URL and mention, overlaps removed as twitter-text does."""
    found = [(start, end, "x" * url_length) for start, end in url_spans(text)]
    for m in MENTION_RE.finditer(text):
        if _MENTION_END.match(text, m.end()):
            continue
        found.append((m.start(), m.end(), "@" + m.group(1).split("@", 1)[0]))
    found.sort(key=lambda entity: entity[0])
    kept: list[tuple[int, int, str]] = []
    for entity in found:
        if not kept or kept[-1][1] <= entity[0]:
            kept.append(entity)
    return kept


def mastodon_countable_text(text: str, *, url_length: int = MASTODON_URL_LENGTH) -> str:
    """The text as Mastodon's StatusLengthValidator measures it."""
    if _BLANK.fullmatch(text):
        return ""
    parts: list[str] = []
    position = 0
    for start, end, replacement in _entities(text, url_length):
        parts.append(text[position:start])
        parts.append(replacement)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def mastodon_length(text: str, *, url_length: int = MASTODON_URL_LENGTH) -> int:
    return bluesky_graphemes(mastodon_countable_text(text, url_length=url_length))


def mastodon_status_length(
    text: str, spoiler_text: str = "", *, url_length: int = MASTODON_URL_LENGTH
) -> int:
    """What Mastodon holds against its limit: the content warning as typed (links and
    mentions in it are not shortened) plus the text as counted by ``mastodon_length``
    (``StatusLengthValidator#combined_text``)."""
    return bluesky_graphemes(spoiler_text) + mastodon_length(text, url_length=url_length)


# How a server counts (SocialAccount.server_info["counting"]).
COUNT_MASTODON = "mastodon"
COUNT_CODEPOINTS = "codepoints"
COUNT_CONSERVATIVE = "conservative"


def codepoints_status_length(text: str, spoiler_text: str = "") -> int:
    """GoToSocial: code points of the text and the content warning, links in full."""
    return len(text) + len(spoiler_text)


def status_length(
    text: str,
    spoiler_text: str = "",
    *,
    counting: str = COUNT_MASTODON,
    url_length: int = MASTODON_URL_LENGTH,
) -> int:
    """What a server of the Mastodon API holds against its limit, counted its way: Mastodon's
    (``mastodon_status_length``), GoToSocial's (code points, links in full), or, for software
    we do not know, the larger of both."""
    if counting == COUNT_MASTODON:
        return mastodon_status_length(text, spoiler_text, url_length=url_length)
    if counting == COUNT_CODEPOINTS:
        return codepoints_status_length(text, spoiler_text)
    return max(
        mastodon_status_length(text, spoiler_text, url_length=url_length),
        codepoints_status_length(text, spoiler_text),
    )


def bluesky_graphemes(text: str) -> int:
    """Extended grapheme clusters: 👩‍👩‍👧‍👦 is one, a flag is one, e + U+0301 is one."""
    return sum(1 for _ in _GRAPHEME.finditer(text))


def utf8_bytes(text: str) -> int:
    # A lone surrogate cannot be encoded: count it as the 3 bytes of the U+FFFD that replaces it.
    return len(text.encode("utf-8", "surrogatepass"))

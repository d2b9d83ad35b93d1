"""Invisible characters that change how a text reads: bidirectional overrides and isolates,
zero-width characters, Unicode tags.

A right-to-left override (U+202E) before "exe.fdp" displays "pdf.exe": it makes a link or a
figure look like another, and a zero-width space inside a word hides it from every other rule
(a forbidden term, a confidentiality marking). Nothing of that shows on the screen, so the
finding names each character by its code point and Unicode name, and where it is.

Kept, because they have a visible job:
- the zero-width joiner inside an emoji sequence (woman technologist, rainbow flag): the
  pictographs before and after it make one emoji;
- the zero-width joiner and non-joiner between two letters of a script that needs them to
  choose a letter's shape (Persian, Sinhala, the Indic scripts, Syriac, Mongolian…);
  between Latin, Greek or Cyrillic letters they change nothing visible and are refused;
- the directional marks U+200E, U+200F and U+061C: they cannot reverse a run of text, only
  place neutral characters, and mixed Arabic or Hebrew text needs them;
- the variation selectors (the emoji or text presentation of a symbol);
- the tag characters that spell a subdivision flag after U+1F3F4 (the flag of Scotland).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules.base import Example, Finding, Rule, Severity
from charter.snapshot import MediaSnapshot, PostSnapshot, RenditionSnapshot

CODE = "text.invisible_characters"

ZWNJ, ZWJ = "\u200c", "\u200d"
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"

# Bidirectional embeddings, overrides and isolates; zero-width and invisible format
# characters; Hangul fillers (they render as nothing in most fonts); Unicode tags.
SUSPECT_RE = regex.compile(
    "[\u202a-\u202e\u2066-\u2069"
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200d\u2060-\u2064\u206a-\u206f"
    "\u3164\ufeff\uffa0\U0001d173-\U0001d17a\U000e0000-\U000e007f]+"
)
# Scripts whose letters take a ZWJ or ZWNJ to pick a joining or conjunct form.
_JOINING_SCRIPT_LETTER = regex.compile(
    r"[\p{sc=Arabic}\p{sc=Syriac}\p{sc=Nko}\p{sc=Mongolian}\p{sc=Devanagari}\p{sc=Bengali}"
    r"\p{sc=Gurmukhi}\p{sc=Gujarati}\p{sc=Oriya}\p{sc=Tamil}\p{sc=Telugu}\p{sc=Kannada}"
    r"\p{sc=Malayalam}\p{sc=Sinhala}\p{sc=Khmer}\p{sc=Myanmar}\p{sc=Tibetan}]"
)
_EMOJI_BEFORE_ZWJ = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f]")
_EMOJI_AFTER_ZWJ = regex.compile(r"\p{Extended_Pictographic}")
_MARK = regex.compile(r"\p{M}")

# Unicode names of the characters the data leaves unnamed (unicodedata.name has none).
_NAMES = {"\ufeff": "ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)"}


def _letter_before(text: str, index: int) -> str:
    while index > 0 and _MARK.match(text[index - 1]):
        index -= 1
    return text[index - 1] if index > 0 else ""


def _letter_after(text: str, index: int) -> str:
    while index < len(text) and _MARK.match(text[index]):
        index += 1
    return text[index] if index < len(text) else ""


def _allowed(text: str, index: int) -> bool:
    char = text[index]
    if char == ZWJ:
        before = text[index - 1] if index > 0 else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if _EMOJI_BEFORE_ZWJ.match(before) and _EMOJI_AFTER_ZWJ.match(after):
            return True
    if char in (ZWJ, ZWNJ):
        before, after = _letter_before(text, index), _letter_after(text, index + 1)
        return bool(_JOINING_SCRIPT_LETTER.match(before) and _JOINING_SCRIPT_LETTER.match(after))
    if "\U000e0020" <= char <= _CANCEL_TAG:
        # A subdivision flag: U+1F3F4, tag letters, CANCEL TAG.
        start = index
        while start > 0 and "\U000e0020" <= text[start - 1] <= "\U000e007e":
            start -= 1
        end = index
        while end < len(text) and "\U000e0020" <= text[end] <= "\U000e007e":
            end += 1
        return (
            start > 0
            and text[start - 1] == _BLACK_FLAG
            and end < len(text)
            and text[end] == _CANCEL_TAG
        )
    return False


def find_invisible(text: str) -> Iterator[tuple[int, int]]:
    """[start, end) of each run of refused invisible characters, in codepoints."""
    for match in SUSPECT_RE.finditer(text):
        run_start: int | None = None
        for index in range(match.start(), match.end()):
            if _allowed(text, index):
                if run_start is not None:
                    yield run_start, index
                    run_start = None
            elif run_start is None:
                run_start = index
        if run_start is not None:
            yield run_start, match.end()


def describe(char: str) -> str:
    """ "U+202E RIGHT-TO-LEFT OVERRIDE": what the character is, since it cannot be seen."""
    name = _NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def _characters(text: str, start: int, end: int) -> str:
    seen: list[str] = []
    for char in text[start:end]:
        if char not in seen:
            seen.append(char)
    return ", ".join(describe(c) for c in seen)


def _where(start: int, end: int, offset: int = 0) -> str:
    # Positions as people count them: the first character is 1.
    first, last = start - offset + 1, end - offset
    if first == last:
        return gettext("at position %(position)d") % {"position": first}
    return gettext("at positions %(first)d to %(last)d") % {"first": first, "last": last}


def _advice() -> str:
    return gettext(
        "They cannot be seen but change how the text reads (a link or a figure can look like "
        "another): delete them, or retype the text around them."
    )


def _text_findings(snapshot: PostSnapshot, severity: Severity) -> Iterator[Finding]:
    parts = snapshot.part_spans
    for start, end in find_invisible(snapshot.text):
        number, (part_start, _part_end) = next(
            ((n, span) for n, span in enumerate(parts, 1) if span[0] <= start < span[1]),
            (1, (0, len(snapshot.text))),
        )
        where = _where(start, end, part_start)
        if len(parts) > 1:
            where = gettext("in part %(part)d, %(where)s") % {"part": number, "where": where}
        message = gettext("Invisible characters in the text: %(chars)s %(where)s. %(advice)s") % {
            "chars": _characters(snapshot.text, start, end),
            "where": where,
            "advice": _advice(),
        }
        yield Finding(CODE, severity, message, span=(start, end))


def _field_findings(
    value: str, field: str, severity: Severity, account_id: int | None = None
) -> Iterator[Finding]:
    runs = list(find_invisible(value))
    if not runs:
        return
    found = "; ".join(
        f"{_characters(value, start, end)} {_where(start, end)}" for start, end in runs
    )
    message = gettext("Invisible characters in %(field)s: %(chars)s. %(advice)s") % {
        "field": field,
        "chars": found,
        "advice": _advice(),
    }
    yield Finding(CODE, severity, message, account_id=account_id)


def _rendition_findings(rendition: RenditionSnapshot, severity: Severity) -> Iterator[Finding]:
    network = rendition.network.capitalize()
    yield from _field_findings(
        rendition.spoiler_text,
        gettext("the content warning for %(handle)s") % {"handle": rendition.handle},
        severity,
        rendition.account_id,
    )
    yield from _field_findings(
        rendition.byline,
        gettext("the byline for %(handle)s") % {"handle": rendition.handle},
        severity,
        rendition.account_id,
    )
    yield from _field_findings(
        rendition.body,
        gettext("the %(network)s version") % {"network": network},
        severity,
        rendition.account_id,
    )


def check_invisible(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    yield from _text_findings(snapshot, severity)
    bodies_seen = {snapshot.text, *snapshot.text.split("\n\n")}
    for given in snapshot.renditions:
        # A network's own version (a variant) is a text of its own; the common text is
        # already reported, with its highlight, above.
        rendition = dataclasses.replace(given, body="") if given.body in bodies_seen else given
        bodies_seen.add(given.body)
        yield from _rendition_findings(rendition, severity)
    for media in snapshot.media:
        yield from _field_findings(
            media.alt_text,
            gettext("the text alternative of “%(filename)s”") % {"filename": media.filename},
            severity,
        )
    yield from _field_findings(snapshot.source, gettext("the source"), severity)


def _snapshot(text: str, *media: MediaSnapshot) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,), media=media)


TEXT_INVISIBLE_CHARACTERS = Rule(
    code=CODE,
    title=_("No invisible characters that disguise the text"),
    rationale=_(
        "A right-to-left override (U+202E) written before “exe.fdp” displays “pdf.exe”: a link or "
        "a file name looks like another; a zero-width space (U+200B) inside a word hides it from "
        "the other rules; none of them can be seen when reading the post. Refused, in the text, "
        "every network's version, the content warning, the byline, the text alternatives and the "
        "source: the bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to "
        "U+2069), the zero-width and invisible format characters (U+200B to U+200D, U+2060 to "
        "U+2064, U+FEFF, U+00AD soft hyphen, U+180E…), the Hangul fillers and the Unicode tags. "
        "The finding names each one (“U+202E RIGHT-TO-LEFT OVERRIDE at position 12”). Kept, "
        "because they do a visible job: the zero-width joiner inside an emoji sequence (a woman "
        "technologist, a rainbow flag); the zero-width joiner and non-joiner between two letters "
        "of a script that shapes its letters with them (Arabic and Persian, Syriac, N'Ko, "
        "Mongolian, the Indic scripts, Sinhala, Khmer, Myanmar, Tibetan), but not between Latin, "
        "Greek or Cyrillic letters, where they change nothing visible; the directional marks "
        "U+200E, U+200F and U+061C, which cannot reverse a text; the variation selectors; and the "
        "tags of a subdivision flag (Scotland, Wales). A waiver can lift the rule for a text that "
        "needs one of the refused characters."
    ),
    default_severity=Severity.BLOCK,
    check=check_invisible,
    examples=(
        Example(
            _("Emoji sequences and a Persian word keep their joiners."),
            _snapshot(
                "Nos équipes \U0001f469\u200d\U0001f4bb et \U0001f3f3\ufe0f\u200d\U0001f308 ; "
                "« \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 » en persan."
            ),
            passes=True,
        ),
        Example(
            _("A right-to-left override disguises a file name."),
            _snapshot("Le formulaire : https://exemple.gouv.fr/\u202efdp.exe"),
            passes=False,
        ),
        Example(
            _("A zero-width space hides a word."),
            _snapshot("Réunion à huis\u200bclos demain."),
            passes=False,
        ),
        Example(
            _("A zero-width space in a text alternative."),
            _snapshot(
                "La carte des guichets.",
                MediaSnapshot("carte.png", "Carte\u200b des guichets", mime_type="image/png"),
            ),
            passes=False,
        ),
    ),
)

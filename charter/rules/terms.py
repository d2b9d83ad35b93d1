"""Terms the charter forbids, found whole, whatever their case and accents."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.snapshot import PostSnapshot, RenditionSnapshot

# Typographic variants a French text mixes freely: curly and straight apostrophes, hyphens.
_EQUIVALENTS = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"}
)
_SPACES = regex.compile(r"\s+")


@lru_cache(maxsize=4096)
def fold(char: str) -> str:
    """One character in comparable form: compatibility-decomposed, without accents, casefolded.

    May be empty (a combining accent) or longer than one character (ß gives ss).
    """
    decomposed = unicodedata.normalize("NFKD", char.translate(_EQUIVALENTS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold_text(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index it comes from in ``text``."""
    folded, origin = folded_text(text)
    return folded, list(origin)


@lru_cache(maxsize=16)
def folded_text(text: str) -> tuple[str, tuple[int, ...]]:
    """fold_text, shared: several rules fold the same post text."""
    if text.isascii():
        return text.translate(_EQUIVALENTS).lower(), tuple(range(len(text)))
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = fold(char)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return "".join(pieces), tuple(origin)


def _folded_term(term: str) -> str:
    return _SPACES.sub(" ", "".join(fold(c) for c in term)).strip()


@lru_cache(maxsize=64)
def _matcher(terms: tuple[str, ...]) -> tuple[regex.Pattern[str] | None, dict[str, str]]:
    by_folded = {_folded_term(t): t for t in reversed(terms)}  # the first spelling wins
    by_folded.pop("", None)
    if not by_folded:
        return None, {}
    # Longest first, so "premier ministre" is reported whole rather than as "ministre".
    alternatives = sorted(by_folded, key=len, reverse=True)
    body = "|".join(r"\s+".join(regex.escape(w) for w in t.split(" ")) for t in alternatives)
    return regex.compile(rf"(?<!\w)(?:{body})(?!\w)"), by_folded


def find_folded(
    text: str, pattern: regex.Pattern[str]
) -> Iterator[tuple[regex.Match[str], int, int]]:
    """Every match of ``pattern`` in the folded text (lower case, no accents, straight
    apostrophes), with its start and end as codepoint offsets in ``text``."""
    folded, origin = folded_text(text)
    for match in pattern.finditer(folded):
        if match.end() == match.start():
            continue
        start = origin[match.start()]
        end = origin[match.end() - 1] + 1
        while end < len(text) and not fold(text[end]):  # accents that folded away
            end += 1
        yield match, start, end


def find_terms(text: str, terms: tuple[str, ...]) -> Iterator[tuple[str, int, int]]:
    """(configured term, start, end) of every hit, as codepoint offsets in ``text``."""
    pattern, by_folded = _matcher(terms)
    if pattern is None:
        return
    for match, start, end in find_folded(text, pattern):
        found = _SPACES.sub(" ", match.group())
        yield by_folded.get(found, found), start, end


def check_forbidden_terms(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    terms = tuple(t for t in params.get("terms", ()) if isinstance(t, str))
    for term, start, end in find_terms(snapshot.text, terms):
        message = gettext(
            "“%(found)s” is a forbidden term in this charter (“%(term)s”): rephrase without it."
        ) % {"found": snapshot.text[start:end], "term": term}
        yield Finding("terms.forbidden", severity, message, span=(start, end))


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


_EXAMPLE_TERMS = {"terms": ["ASAP", "impacter"]}

TERMS_FORBIDDEN = Rule(
    code="terms.forbidden",
    title=_("Forbidden terms"),
    rationale=_(
        "Each administration keeps a list of words it does not use in public: jargon, "
        "anglicisms, terms its style guide replaces. A term is found as a whole word or phrase, "
        "whatever its case and accents (“Impacté” is not “impacter”, “IMPACTER” is; list "
        "inflected forms separately). Spaces in a phrase match any run of spaces or line "
        "breaks, and typographic apostrophes match straight ones."
    ),
    default_severity=Severity.BLOCK,
    check=check_forbidden_terms,
    params={
        "terms": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_('The words and phrases to refuse, e.g. ["ASAP", "impacter"].'),
        )
    },
    examples=(
        Example(
            _("“impacte” is not “impacter”: whole words only."),
            _snapshot("La réforme impacte les délais de traitement."),
            passes=True,
            params=_EXAMPLE_TERMS,
        ),
        Example(
            _("Found whatever the case."),
            _snapshot("Répondez asap au questionnaire."),
            passes=False,
            params=_EXAMPLE_TERMS,
        ),
    ),
)

"""Acronyms spelled out at first use."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.rules.terms import fold
from charter.snapshot import PostSnapshot, RenditionSnapshot

# Two to six capitals standing alone: "CAF", "CPAM", "DGFiP" is not one (lowercase inside).
ACRONYM_RE = regex.compile(r"(?<![\p{L}\p{N}\-])\p{Lu}{2,6}(?![\p{L}\p{N}])")
ROMAN_RE = regex.compile(r"M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})")
# "AX (Agence X)": an opening parenthesis right after, with at least two words in it.
_EXPANSION_AFTER = regex.compile(
    r"[ \u00a0]?\((?=[^()\n]*\p{L}[ \u00a0'\u2019\-]+\p{L})[^()\n]{3,}\)"
)
# A capitalised word that is part of a shouted phrase: that is a11y.caps' business.
_SHOUTED_WORD = regex.compile(r"\p{Lu}{3,}")

# Known to every reader; a charter's glossary adds its own.
COMMON = ("UE", "ONU", "USA", "SNCF", "RATP", "TGV", "RER", "SMS", "PDF", "TV", "OK", "FAQ")
# Ordinary words written in capitals for emphasis ("URGENT : la route est coupée"): nothing to
# spell out. Compared without accents, so "ANNULÉ" and "ANNULE" are the same word.
EMPHASIS = """
    urgent urgence alerte attention info infos important nouveau nouvelle new rappel avis
    flash direct live stop gratuit gratuite complet complete annule annulee reporte reportee
    ferme fermee ouvert ouverte fin enfin oui non merci bravo aide video photo photos audio
    breaking update maj vite top bonus test jeu quiz offre vote votez appel covid
"""
_EMPHASIS = frozenset(EMPHASIS.split())


def _is_expanded(text: str, start: int, end: int) -> bool:
    # "Agence X (AX)": the acronym alone between parentheses, after its expansion.
    if text[start - 1 : start] == "(" and text[end : end + 1] == ")":
        return True
    return _EXPANSION_AFTER.match(text, end) is not None


def _shouted(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 40) : start].split()
    after = text[end : end + 40].split()
    return any(
        _SHOUTED_WORD.fullmatch(word.strip(".,;:!?«»\"'()")) for word in before[-1:] + after[:1]
    )


def find_unexpanded(text: str, glossary: tuple[str, ...]) -> Iterator[tuple[str, int, int]]:
    """(acronym, start, end) of the first use of each acronym that is not spelled out there."""
    masked = scan.masked(text)
    known = {g.casefold() for g in (*COMMON, *glossary)}
    seen: set[str] = set()
    for match in ACRONYM_RE.finditer(masked):
        acronym = match.group()
        if acronym in seen:
            continue
        seen.add(acronym)
        start, end = match.span()
        if (
            acronym.casefold() in known
            or "".join(fold(c) for c in acronym) in _EMPHASIS
            or ROMAN_RE.fullmatch(acronym)
            or _is_expanded(masked, start, end)
            or _shouted(masked, start, end)
        ):
            continue
        yield acronym, start, end


def check_acronyms(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    glossary = tuple(params.get("glossary", ()))
    if snapshot.author_unit_code:
        glossary = (*glossary, snapshot.author_unit_code)  # the unit signs with it anyway
    for acronym, start, end in find_unexpanded(snapshot.text, glossary):
        message = gettext(
            "“%(acronym)s” is not spelled out: at its first use write it in full with the "
            "acronym in brackets (“Full name (%(acronym)s)”), or add it to the charter's "
            "glossary if every reader knows it."
        ) % {"acronym": acronym}
        yield Finding("a11y.acronyms", severity, message, span=(start, end))


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


A11Y_ACRONYMS = Rule(
    code="a11y.acronyms",
    title=_("Acronyms spelled out"),
    rationale=_(
        "An acronym the reader does not know stops them, and screen readers spell it or read "
        "it as a word. At its first use, write the full name with the acronym in brackets "
        "(“Caisse d'allocations familiales (CAF)”), or the other way round (“CAF (Caisse "
        "d'allocations familiales)”). Acronyms everyone knows go in the charter's glossary; "
        "roman numerals, words of a sentence in capitals, ordinary words in capitals for "
        "emphasis (URGENT, ALERTE, INFO, RAPPEL, NOUVEAU, GRATUIT…) and the unit's own code "
        "are left alone."
    ),
    default_severity=Severity.WARN,
    check=check_acronyms,
    params={
        "glossary": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_('Acronyms the readers know, e.g. ["CAF", "SAMU"].'),
        )
    },
    examples=(
        Example(
            _("Spelled out at first use."),
            _snapshot("La Caisse d'allocations familiales (CAF) verse l'aide ; la CAF vous écrit."),
            passes=True,
        ),
        Example(
            _("An acronym left as it is."),
            _snapshot("Prenez rendez-vous avec la CPAM avant le 12 mars."),
            passes=False,
        ),
    ),
)

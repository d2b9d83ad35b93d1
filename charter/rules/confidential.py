"""Confidentiality markings: a text that carries one was not written to be published."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.rules.terms import find_terms
from charter.snapshot import PostSnapshot, RenditionSnapshot

# Only ever a marking, wherever and however it is written.
ALWAYS = ("diffusion restreinte", "diffusion limitée")
# Ordinary words too ("un accompagnement gratuit et confidentiel", "ne pas diffuser de
# rumeurs"): a marking only when written as one, in capitals or standing as a label.
AS_LABEL = (
    "confidentiel",
    "confidentielle",
    "confidentiel défense",
    "confidentiel personnel",
    "secret défense",
    "très secret",
    "très secret défense",
    "usage interne",
    "document interne",
    "ne pas diffuser",
    "ne pas divulguer",
)
# Instructions that also mark a text when they end its sentence: "Document de travail, ne pas
# diffuser."
AS_INSTRUCTION = ("ne pas diffuser", "ne pas divulguer")

# What may stand before a label on its line, and what may follow it.
_LABEL_BEFORE = regex.compile(r"[\s\[(«\"'*_#|\-\u2013\u2014]*")
_LABEL_AFTER = regex.compile(r"[^\S\n]*(?:$|\n|[:\])»\"'*_|\-\u2013\u2014])")
_INSTRUCTION_AFTER = regex.compile(r"[^\S\n]*(?:$|\n|[.!;:\])»\"'*_|\-\u2013\u2014])")


def _in_capitals(found: str) -> bool:
    letters = [c for c in found if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _is_label(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_LABEL_BEFORE.fullmatch(text, line_start, start) and _LABEL_AFTER.match(text, end))


def find_markings(text: str, extra: tuple[str, ...] = ()) -> Iterator[tuple[int, int]]:
    always = (*ALWAYS, *extra)
    for term, start, end in find_terms(text, (*always, *AS_LABEL)):
        if (
            term in always
            or _in_capitals(text[start:end])
            or _is_label(text, start, end)
            or (term in AS_INSTRUCTION and _INSTRUCTION_AFTER.match(text, end))
        ):
            yield start, end


def check_markings(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    extra = tuple(t for t in params.get("extra", ()) if isinstance(t, str))
    for start, end in find_markings(snapshot.text, extra):
        message = gettext(
            "“%(found)s” is a confidentiality marking: a text so marked is not for the public. "
            "Check with its author that it may be published, then remove the marking."
        ) % {"found": snapshot.text[start:end]}
        yield Finding("confidential.markings", severity, message, span=(start, end))


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


CONFIDENTIAL_MARKINGS = Rule(
    code="confidential.markings",
    title=_("No confidentiality marking"),
    rationale=_(
        "A text marked “Diffusion restreinte”, “Confidentiel” or “Ne pas diffuser” was copied "
        "from a document that is not public; publishing it may be an offence, and no charter "
        "can waive the rule. “Diffusion restreinte” and “Diffusion limitée” are found wherever "
        "they are. Words that are also ordinary French (“confidentiel”, “secret défense”, "
        "“usage interne”, “ne pas diffuser”…) count as a marking only when written as one: in "
        "capitals, or as a label alone on its line or before a colon, or, for “ne pas "
        "diffuser”, at the end of a sentence. A charter can add its own markings."
    ),
    default_severity=Severity.BLOCK,
    check=check_markings,
    locked=True,
    waivable=False,
    params={
        "extra": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_(
                "More markings, found wherever they are, whatever their case, in addition to "
                'the built-in ones, e.g. ["Usage strictement interne"].'
            ),
        )
    },
    examples=(
        Example(
            _("“confidentiel” as an ordinary adjective."),
            _snapshot("Un accompagnement gratuit et confidentiel, sur rendez-vous."),
            passes=True,
        ),
        Example(
            _("A marking copied with the text."),
            _snapshot("DIFFUSION RESTREINTE\nLe nouveau dispositif sera annoncé lundi."),
            passes=False,
        ),
        Example(
            _("A label at the start of a line."),
            _snapshot("Confidentiel : le ministre visitera le site le 12 mars."),
            passes=False,
        ),
    ),
)

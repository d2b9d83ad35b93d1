"""French postal addresses: a street address, a post-office box, a CEDEX line.

Like the other personal data rules, messages never repeat the address; the span shows it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamError, ParamKind, Rule, Severity
from charter.rules.terms import folded_text
from charter.snapshot import PostSnapshot, RenditionSnapshot

Span = tuple[int, int]

# A capitalised word of a street or town name, possibly elided or hyphenated: "Paix",
# "l'Université", "Saint-Honoré", "PARIS"; never "Cedex", which ends the line.
_NAME_WORD = r"(?!(?i:cedex)(?!\p{L}))(?:\p{Ll}{1,3}['\u2019])?\p{Lu}[\p{L}'\u2019\-]*+"
# Lowercase linking words before a name: "de la", "des", "du", "de l'".
_LINKS = r"(?:(?:de|du|des|la|le|les|d['\u2019]|l['\u2019])[ \u00a0])*+"
_SP = r"[ \u00a0\u202f]"
_NUMBER = r"(?<![\p{L}\p{N}])\p{N}{1,4}(?:" + _SP + r"?(?i:bis|ter|quater))?"
_STREET_TYPES = (
    r"(?i:rue|avenue|av\.|bd|boulevard|bld|place|pl\.|all[ée]e|impasse|chemin|route|quai|"
    r"cours|square|passage|chauss[ée]e|faubourg|fbg|sentier|esplanade|parvis|promenade|"
    r"rond-point|villa|hameau|lieu-dit|cit[ée]|r[ée]sidence)"
)
_POSTCODE_CITY = (
    rf"(?<!\p{{N}})(?:\p{{N}}{{5}}|\p{{N}}{{2}}{_SP}\p{{N}}{{3}}){_SP}++{_NAME_WORD}"
    rf"(?:[ \-]{_NAME_WORD})*+(?:{_SP}++(?i:cedex)(?:{_SP}?\p{{N}}{{1,2}})?)?"
)
# "12 rue de la Paix", "12 bis, avenue des Champs-Élysées, 75008 Paris". Without a postcode
# the street name must be capitalised, so that "2 cours de yoga" is not an address.
STREET_RE = regex.compile(
    rf"{_NUMBER},?{_SP}++{_STREET_TYPES}{_SP}++{_LINKS}{_NAME_WORD}(?:{_SP}++{_NAME_WORD})*+"
    rf"(?:,?{_SP}*+{_POSTCODE_CITY})?"
)
# "BP 1234", "CS 70001 75007 Paris Cedex", "TSA 30012 ...": a box or a sorting code.
BOX_RE = regex.compile(
    rf"(?<![\p{{L}}\p{{N}}])(?:BP|B\.P\.|CS|TSA){_SP}?\p{{N}}{{1,6}}(?![\p{{L}}\p{{N}}])"
    rf"(?:,?{_SP}*+{_POSTCODE_CITY})?"
)
# "75700 Paris Cedex 07": a CEDEX line alone is a company's or an office's mail address.
CEDEX_RE = regex.compile(
    rf"(?<![\p{{L}}\p{{N}}])(?:\p{{N}}{{5}}|\p{{N}}{{2}}{_SP}\p{{N}}{{3}}){_SP}++{_NAME_WORD}"
    rf"(?:[ \-]{_NAME_WORD})*+{_SP}++(?i:cedex)(?:{_SP}?\p{{N}}{{1,2}})?(?![\p{{L}}\p{{N}}])"
)


def _key(text: str) -> str:
    """Comparable form: folded, punctuation and spacing ignored."""
    folded, _origin = folded_text(text)
    return " ".join(regex.findall(r"[\p{L}\p{N}]+", folded))


@lru_cache(maxsize=32)
def _allowed_keys(allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(k for k in (_key(a) for a in allowed) if k)


def _is_allowed(found: str, allowed: tuple[str, ...]) -> bool:
    key = f" {_key(found)} "
    # The institution's address written more or less fully: with or without the postcode line.
    # Whole tokens only: "120 avenue de Ségur" is not "20 avenue de Ségur".
    return any(key in f" {own} " or f" {own} " in key for own in _allowed_keys(allowed))


def find_addresses(text: str, allowed: tuple[str, ...] = ()) -> Iterator[Span]:
    masked = scan.masked(text)  # "rue" inside a link is not an address
    spans = sorted(
        match.span()
        for pattern in (STREET_RE, BOX_RE, CEDEX_RE)
        for match in pattern.finditer(masked)
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        if not _is_allowed(text[start:end], allowed):
            yield start, end


def _validate_addresses(values: list[str]) -> None:
    for value in values:
        if not any(c.isdigit() for c in value):
            raise ParamError(
                gettext("“%(value)s” is not an address: it has no number or postcode")
                % {"value": value}
            )


def check_address(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    allowed = tuple(v for v in params.get("allowed", ()) if isinstance(v, str))
    message = gettext(
        "This looks like a postal address: do not publish a person's address. Remove it, or, if "
        "it is the institution's own address or a public venue, add it to the charter's "
        "allowed addresses."
    )
    for span in find_addresses(snapshot.text, allowed):
        yield Finding("pii.address", severity, message, span=span)


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


PII_ADDRESS = Rule(
    code="pii.address",
    title=_("No personal postal address"),
    rationale=_(
        "A home address in a public post is personal data published for good (GDPR). French "
        "addresses are recognised by a number and a street type (“12 rue de la Paix”, “3 bis "
        "bd Voltaire”, “avenue”, “allée”…), by a post-office box (BP, CS, TSA) or by a CEDEX "
        "line. The institution's own addresses and public venues are listed in the charter; "
        "no waiver lifts the rule otherwise. Postcodes alone, dates and amounts pass."
    ),
    default_severity=Severity.BLOCK,
    check=check_address,
    waivable=False,
    params={
        "allowed": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_(
                "The institution's own addresses and public venues, e.g. [\"20 avenue de "
                'Ségur, 75007 Paris"]; a shorter or longer form of the same address matches.'
            ),
            validate=_validate_addresses,
        )
    },
    examples=(
        Example(
            _("The institution's own address, allowed by the charter."),
            _snapshot("Accueil du public au 20 avenue de Ségur, 75007 Paris."),
            passes=True,
            params={"allowed": ["20 avenue de Ségur, 75007 Paris"]},
        ),
        Example(
            _("A person's address."),
            _snapshot("Félicitations à Mme Martin, 12 rue de la Paix, 75002 Paris !"),
            passes=False,
            params={"allowed": ["20 avenue de Ségur, 75007 Paris"]},
        ),
    ),
)

"""Personal data that must not leave in a public post: e-mail addresses, phone numbers, IBANs,
social security numbers.

Messages never repeat the value found: check reports are stored, and a report must not become
one more copy of someone's phone number. The span shows the author where it is.

Numbers are recognised by their shape and, where the format has one, their check digits (IBAN
mod 97, NIR key), so that dates, amounts, postcodes and reference numbers are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules.base import Example, Finding, Param, ParamError, ParamKind, Rule, Severity
from charter.snapshot import PostSnapshot, RenditionSnapshot

Span = tuple[int, int]

# --- E-mail addresses --------------------------------------------------------------------------
# Not glued to a word, a dot or an "@": "@dgx@social.example" is a Mastodon mention.
EMAIL_RE = regex.compile(
    r"(?<![\w.+\-@/])[\w.+\-]{1,64}+@(?P<domain>(?:[\w\-]{1,63}+\.)+\p{L}{2,63}+)(?![\w\-@])"
)


def find_emails(text: str, allowed: tuple[str, ...] = ()) -> Iterator[Span]:
    addresses = {a.casefold() for a in allowed if not a.startswith("@")}
    domains = {a[1:].casefold() for a in allowed if a.startswith("@")}
    for match in EMAIL_RE.finditer(text):
        if match.group().casefold() in addresses or match["domain"].casefold() in domains:
            continue
        yield match.span()


def _validate_emails(values: list[str]) -> None:
    for value in values:
        if "@" not in value:
            raise ParamError(
                gettext("“%(value)s” is neither an address nor an @domain") % {"value": value}
            )


# --- French phone numbers ----------------------------------------------------------------------
# 0X XX XX XX XX or +33 / 0033 X XX XX XX XX, the same separator (space, dot, hyphen or none)
# between the pairs. 08 numbers are service numbers (free or shared cost), never a person's.
# A word character on either side, or one more pair, means a longer number: not a phone.
_SEP = r"[ .\-\u00a0\u202f]"
PHONE_RE = regex.compile(
    rf"(?<![\w+/.,\-])(?:(?:\+|00)33{_SEP}?(?:\(0\){_SEP}?)?|0)"
    rf"(?P<first>[1-79])(?P<sep>{_SEP}?)(?P<rest>[0-9][0-9](?:(?P=sep)[0-9][0-9]){{3}})"
    r"(?!\w|(?P=sep)[0-9][0-9]?(?![0-9]))"
)


def national_phone(value: str) -> str | None:
    """ "0XXXXXXXXX" for a French number written any usual way, else None."""
    digits = "".join(c for c in value if c.isascii() and c.isdigit())
    stripped = value.lstrip()
    if stripped.startswith("+33") or stripped.startswith("0033"):
        digits = digits[4:] if stripped.startswith("0033") else digits[2:]
        digits = digits.removeprefix("0") if len(digits) == 10 else digits  # the "(0)"
        digits = "0" + digits
    return digits if len(digits) == 10 and digits[0] == "0" and digits[1] != "0" else None


def find_phones(text: str, allowed: tuple[str, ...] = ()) -> Iterator[Span]:
    own = {national_phone(a) for a in allowed}
    for match in PHONE_RE.finditer(text):
        number = "0" + match["first"] + "".join(c for c in match["rest"] if c.isdigit())
        if number not in own:
            yield match.span()


def _validate_phones(values: list[str]) -> None:
    for value in values:
        if national_phone(value) is None:
            raise ParamError(gettext("“%(value)s” is not a French phone number") % {"value": value})


# --- IBAN --------------------------------------------------------------------------------------
# Lengths of the SEPA countries' IBANs (ECBS register). Another country is not recognised.
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "VA": 22,
}  # fmt: skip
_IBAN_START = regex.compile(r"(?<![\p{L}\p{N}])[A-Za-z]{2}[0-9]{2}(?=[ \u00a0\u202f]?[A-Za-z0-9])")
_IBAN_CHAR = regex.compile(r"[ \u00a0\u202f]?([A-Za-z0-9])")


def iban_valid(iban: str) -> bool:
    """ISO 13616: the country, the check digits moved to the end, letters as 10..35, mod 97 = 1."""
    iban = iban.upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isascii() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _iban_at(text: str, start: int) -> tuple[str, int] | None:
    """The IBAN that starts at ``start`` (its country's length, spaces allowed) and its end."""
    length = IBAN_LENGTHS.get(text[start : start + 2].upper())
    if length is None:
        return None
    chars = [text[start : start + 4]]
    position = start + 4
    for _count in range(length - 4):
        match = _IBAN_CHAR.match(text, position)
        if match is None:
            return None
        chars.append(match.group(1))
        position = match.end()
    return "".join(chars).upper(), position


def find_ibans(text: str, allowed: tuple[str, ...] = ()) -> Iterator[Span]:
    own = {"".join(a.split()).upper() for a in allowed}
    position = 0
    while (match := _IBAN_START.search(text, position)) is not None:
        found = _iban_at(text, match.start())
        if found is not None and iban_valid(found[0]):
            if found[0] not in own:
                yield match.start(), found[1]
            position = found[1]
        else:
            position = match.start() + 1


# --- NIR (French social security number) -------------------------------------------------------
# Sex (1, 2; 3, 4, 7, 8 for provisional numbers), year, month, department (2A and 2B for
# Corsica), commune, order number, key; groups optionally separated by one space or dot.
_NS = r"[ .\u00a0\u202f]?"
NIR_RE = regex.compile(
    rf"(?<![\p{{L}}\p{{N}}])(?P<sex>[1-478]){_NS}(?P<year>[0-9][0-9]){_NS}(?P<month>[0-9][0-9]){_NS}"
    rf"(?P<dept>[0-9][0-9]|2[AaBb]){_NS}(?P<commune>[0-9]{{3}}){_NS}(?P<order>[0-9]{{3}}){_NS}"
    rf"(?P<key>[0-9][0-9])(?![\p{{L}}\p{{N}}])"
)
# Months 01-12; 20-42 and 50-99 are INSEE's codes for an unknown or provisional month.
_NIR_MONTHS = {f"{m:02d}" for m in (*range(1, 13), *range(20, 43), *range(50, 100))}


def nir_key_valid(number: str, key: str) -> bool:
    """``number``: the 13 characters before the key. Key = 97 - (number mod 97), where Corsica's
    2A counts as 19 and 2B as 18 (INSEE)."""
    corsica = {"2A": "19", "2B": "18"}.get(number[5:7].upper())
    digits = number[:5] + corsica + number[7:] if corsica else number
    return 97 - int(digits) % 97 == int(key)


def find_nirs(text: str) -> Iterator[Span]:
    for match in NIR_RE.finditer(text):
        if match["month"] not in _NIR_MONTHS:
            continue
        number = "".join(match.group("sex", "year", "month", "dept", "commune", "order"))
        if nir_key_valid(number, match["key"]):
            yield match.span()


# --- The rules ---------------------------------------------------------------------------------


def _allowed(params: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(v for v in params.get("allowed", ()) if isinstance(v, str))


def check_email(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    message = gettext(
        "This looks like an e-mail address: do not publish a person's address. Remove it, or "
        "give the service's own address and add it to the charter's allowed addresses."
    )
    for span in find_emails(snapshot.text, _allowed(params)):
        yield Finding("pii.email", severity, message, span=span)


def check_phone(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    message = gettext(
        "This looks like a phone number: do not publish a person's number. Remove it, or give "
        "the service's own number and add it to the charter's allowed numbers."
    )
    for span in find_phones(snapshot.text, _allowed(params)):
        yield Finding("pii.phone", severity, message, span=span)


def check_iban(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    message = gettext(
        "This is a bank account number (IBAN with valid check digits): remove it, unless it is "
        "the institution's own account listed in the charter."
    )
    for span in find_ibans(snapshot.text, _allowed(params)):
        yield Finding("pii.iban", severity, message, span=span)


def check_nir(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    message = gettext(
        "This is a social security number (NIR with a valid key): it must never be published. "
        "Remove it."
    )
    for span in find_nirs(snapshot.text):
        yield Finding("pii.nir", severity, message, span=span)


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


PII_EMAIL = Rule(
    code="pii.email",
    title=_("No personal e-mail address"),
    rationale=_(
        "An e-mail address in a public post is personal data published for good (GDPR): it is "
        "copied, indexed and harvested by spammers within hours. The institution's functional "
        "addresses can be listed in the charter; an entry “@domain” allows every address at "
        "that domain. An “@user@server” Mastodon mention is not an address."
    ),
    default_severity=Severity.BLOCK,
    check=check_email,
    params={
        "allowed": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_(
                'The institution\'s own addresses, e.g. ["contact@dgx.gouv.fr"], or whole '
                'domains, e.g. ["@dgx.gouv.fr"].'
            ),
            validate=_validate_emails,
        )
    },
    examples=(
        Example(
            _("The service's own address, allowed by the charter."),
            _snapshot("Vos questions : contact@dgx.gouv.fr"),
            passes=True,
            params={"allowed": ["contact@dgx.gouv.fr"]},
        ),
        Example(
            _("An agent's address."),
            _snapshot("Écrivez à marie.dupont@dgx.gouv.fr pour vous inscrire."),
            passes=False,
            params={"allowed": ["contact@dgx.gouv.fr"]},
        ),
    ),
)

PII_PHONE = Rule(
    code="pii.phone",
    title=_("No personal phone number"),
    rationale=_(
        "A phone number in a public post is personal data published for good (GDPR). French "
        "numbers are recognised in their usual forms (06 12 34 56 78, 06.12.34.56.78, "
        "0612345678, +33 6 12 34 56 78, +33 (0)6…); 08 service numbers are not personal and "
        "pass. Dates, amounts, postcodes and longer reference numbers are not phone numbers. "
        "The institution's own numbers can be listed in the charter, written any usual way."
    ),
    default_severity=Severity.BLOCK,
    check=check_phone,
    params={
        "allowed": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_('The institution\'s own numbers, e.g. ["01 23 45 67 89"].'),
            validate=_validate_phones,
        )
    },
    examples=(
        Example(
            _("A date, an amount and a free service number."),
            _snapshot("Le 12/03/2026, l'aide de 1 500 € : appelez le 0 800 123 456."),
            passes=True,
        ),
        Example(
            _("A mobile number."),
            _snapshot("Pour vous inscrire, appelez Marie au 06 12 34 56 78."),
            passes=False,
        ),
    ),
)

PII_IBAN = Rule(
    code="pii.iban",
    title=_("No bank account number"),
    rationale=_(
        "A bank account number must not be published, except the institution's own account for "
        "a collection, listed in the charter. An IBAN of a SEPA country is recognised with or "
        "without spaces, and only when its check digits are valid (ISO 13616, mod 97)."
    ),
    default_severity=Severity.BLOCK,
    check=check_iban,
    params={
        "allowed": Param(
            kind=ParamKind.STRINGS,
            default=[],
            help=_('The institution\'s own accounts, e.g. ["FR76 3000 6000 0112 3456 7890 189"].'),
        )
    },
    examples=(
        Example(
            _("Check digits that do not match: not an IBAN."),
            _snapshot("Référence du dossier : FR00 1234 5678 9012 3456 7890 123."),
            passes=True,
        ),
        Example(
            _("A valid IBAN, written in groups of four."),
            _snapshot("Virement sur FR76 3000 6000 0112 3456 7890 189 avant le 12 mars."),
            passes=False,
        ),
    ),
)

PII_NIR = Rule(
    code="pii.nir",
    title=_("No social security number"),
    rationale=_(
        "A French social security number (NIR) is sensitive personal data and is never "
        "published (CNIL). It is recognised with or without spaces, Corsica's 2A and 2B "
        "included, and only when its key matches (key = 97 - (number mod 97), with 2A counted "
        "as 19 and 2B as 18), so that other 15-digit numbers pass."
    ),
    default_severity=Severity.BLOCK,
    check=check_nir,
    examples=(
        Example(
            _("Fifteen digits whose key does not match."),
            _snapshot("Dossier 1 85 05 78 006 084 12 reçu."),
            passes=True,
        ),
        Example(
            _("A social security number with a valid key."),
            _snapshot("Mon numéro de sécu : 1 85 05 78 006 084 91."),
            passes=False,
        ),
    ),
)

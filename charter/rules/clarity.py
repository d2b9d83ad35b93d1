"""What hides the message from some readers: a shortened link, punctuation in a row."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.snapshot import PostSnapshot, RenditionSnapshot

# Public shorteners: the address says nothing of where it leads.
SHORTENERS = [
    "bit.ly",
    "bitly.com",
    "t.co",
    "tinyurl.com",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "v.gd",
    "buff.ly",
    "urlr.me",
    "cutt.ly",
    "rebrand.ly",
    "shorturl.at",
    "tiny.cc",
    "lnkd.in",
    "fb.me",
    "dlvr.it",
    "s.id",
    "t.ly",
    "rb.gy",
    "bl.ink",
    "short.io",
    "shorturl.fr",
    "urlz.fr",
    "kutt.it",
]


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else f"https://{url}").hostname or ""
    except ValueError:
        return ""
    return host.casefold().removeprefix("www.")


def _bare_domains(domains: tuple[str, ...]) -> regex.Pattern[str] | None:
    """A shortened address typed without its protocol ("bit.ly/x"), which Bluesky links."""
    if not domains:
        return None
    names = "|".join(regex.escape(d) for d in sorted(domains, key=len, reverse=True))
    return regex.compile(rf"(?<![\w.@/\-])(?:www\.)?(?:{names})/[\w\-./?=&%#]+", regex.IGNORECASE)


def check_shorteners(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    domains = tuple(d.casefold() for d in params.get("domains", ()) if isinstance(d, str))
    text = snapshot.text
    spans = [(a, b) for a, b in scan.spans_of(text, "url") if _host(text[a:b]) in domains]
    bare = _bare_domains(domains)
    if bare is not None:
        masked = scan.masked(text)  # links already found are masked out
        spans += [m.span() for m in bare.finditer(masked)]
    for start, end in sorted(spans):
        message = gettext(
            "“%(url)s” is a shortened link: it hides where it leads, so readers cannot tell an "
            "official page from a trap, and screen readers read a meaningless address. Give the "
            "full address of the page."
        ) % {"url": text[start:end]}
        yield Finding("links.shortener", severity, message, span=(start, end))


# Two or more ! or ? in a row, except the single "?!" or "!?" of a surprised question.
_RUN = regex.compile(r"[!?]{2,}")
_SURPRISE = frozenset({"?!", "!?"})


def find_repeated_punctuation(text: str) -> list[tuple[int, int]]:
    masked = scan.masked(text)
    return [m.span() for m in _RUN.finditer(masked) if m.group() not in _SURPRISE]


def check_repeated_punctuation(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    text = snapshot.text
    for start, end in find_repeated_punctuation(text):
        message = gettext(
            "“%(found)s”: one mark is enough. Repeated marks read as shouting, and screen "
            "readers may announce each one."
        ) % {"found": text[start:end]}
        yield Finding("a11y.repeated_punctuation", severity, message, span=(start, end))


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


LINKS_SHORTENER = Rule(
    code="links.shortener",
    title=_("No shortened links"),
    rationale=_(
        "A shortened link (bit.ly, t.co, tinyurl.com, goo.gl, ow.ly, is.gd, buff.ly, urlr.me…) "
        "hides its destination: a reader cannot check that it leads to an official site before "
        "following it, which is how phishing imitates institutions, and a screen reader reads "
        "a meaningless string. The link may also die with the service. Mastodon and Bluesky "
        "shorten long addresses on display already: give the full address. Addresses typed "
        "without their protocol (“bit.ly/…”) are found too."
    ),
    default_severity=Severity.WARN,
    check=check_shorteners,
    params={
        "domains": Param(
            kind=ParamKind.STRINGS,
            default=SHORTENERS,
            help=_("The shortening services' domains."),
        )
    },
    examples=(
        Example(
            _("The full address."),
            _snapshot("Inscriptions : https://www.service-public.fr/particuliers/vosdroits"),
            passes=True,
        ),
        Example(
            _("A shortened address."),
            _snapshot("Inscriptions : https://bit.ly/3xYzAbc"),
            passes=False,
        ),
    ),
)

A11Y_REPEATED_PUNCTUATION = Rule(
    code="a11y.repeated_punctuation",
    title=_("No repeated punctuation"),
    rationale=_(
        "“!!!” or “???” adds no meaning: it reads as shouting in an institution's voice, and "
        "screen readers may announce every mark (“exclamation mark, exclamation mark…”). One "
        "mark is enough; a single “?!” is accepted. Marks inside links are left alone."
    ),
    default_severity=Severity.WARN,
    check=check_repeated_punctuation,
    examples=(
        Example(
            _("One exclamation mark."),
            _snapshot("Les inscriptions sont ouvertes !"),
            passes=True,
        ),
        Example(
            _("Three exclamation marks."),
            _snapshot("Les inscriptions sont ouvertes !!!"),
            passes=False,
        ),
    ),
)

"""How many links a post carries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.snapshot import PostSnapshot, RenditionSnapshot


def check_links_count(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    links = scan.spans_of(snapshot.text, "url")
    limit = int(params["max"])
    if len(links) > limit:
        message = gettext(
            "%(count)d links: the charter allows %(limit)d. Keep the one that matters; a screen "
            "reader reads each address aloud."
        ) % {"count": len(links), "limit": limit}
        yield Finding("links.count", severity, message, span=(links[limit][0], links[-1][1]))


def _snapshot(text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


LINKS_COUNT = Rule(
    code="links.count",
    title=_("Few links"),
    rationale=_(
        "One post, one destination: with several links the reader does not know which to "
        "follow, screen readers read every address, and Bluesky shows a preview card for one "
        "link at most. Links are recognised as Mastodon recognises them (with their protocol)."
    ),
    default_severity=Severity.WARN,
    check=check_links_count,
    params={
        "max": Param(
            kind=ParamKind.INTEGER,
            default=2,
            help=_("The most links a post may have."),
            minimum=0,
            maximum=20,
        )
    },
    examples=(
        Example(
            _("One link."),
            _snapshot("Les inscriptions ouvrent lundi https://www.service-public.fr"),
            passes=True,
        ),
        Example(
            _("Three links."),
            _snapshot(
                "Infos https://www.service-public.fr, https://www.impots.gouv.fr et "
                "https://www.ameli.fr"
            ),
            passes=False,
        ),
    ),
)

"""How many links a post carries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.snapshot import LinkStatus, MediaSnapshot, PostSnapshot, RenditionSnapshot


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


def check_bluesky_card(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    links = scan.spans_of(snapshot.text, "url")
    if not links:
        return
    for rendition in snapshot.renditions:
        if rendition.network != "bluesky":
            continue
        # A Bluesky post carries one embed: images, or one external link card, not both.
        if snapshot.media:
            message = gettext(
                "On Bluesky this post shows its images, so its link gets no preview card: the "
                "address stays in the text. Drop the images if the card matters."
            )
            yield Finding(
                "links.bluesky_card",
                severity,
                message,
                account_id=rendition.account_id,
                span=links[0],
            )
        elif len(links) > 1:
            message = gettext(
                "On Bluesky only the first link gets a preview card; the %(others)d other(s) "
                "stay plain addresses. Keep one link, or put the important one first."
            ) % {"others": len(links) - 1}
            yield Finding(
                "links.bluesky_card",
                severity,
                message,
                account_id=rendition.account_id,
                span=(links[1][0], links[-1][1]),
            )


def _bluesky_snapshot(text: str, *media: MediaSnapshot) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=2, network="bluesky", handle="dgx.bsky.social", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,), media=media)


LINKS_BLUESKY_CARD = Rule(
    code="links.bluesky_card",
    title=_("One link card on Bluesky"),
    rationale=_(
        "A Bluesky post has a single embed: either its images or one external link card. With "
        "images no link gets a card, and of several links at most the first can; the others "
        "stay clickable addresses in the text. This warns when a link will not get the card "
        "the author may expect."
    ),
    default_severity=Severity.WARN,
    check=check_bluesky_card,
    examples=(
        Example(
            _("One link, no image: it gets the card."),
            _bluesky_snapshot("Inscriptions ouvertes https://www.service-public.fr"),
            passes=True,
        ),
        Example(
            _("Two links: only the first gets a card."),
            _bluesky_snapshot("Infos https://www.service-public.fr et https://www.impots.gouv.fr"),
            passes=False,
        ),
    ),
)


def check_links_reachable(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    """Pure: reads what the worker found (``snapshot.link_statuses``); a link not checked
    yet gives no finding."""
    broken = {s.url: s.detail for s in snapshot.link_statuses if not s.ok}
    if not broken:
        return
    for start, end in scan.spans_of(snapshot.text, "url"):
        url = snapshot.text[start:end]
        if url in broken:
            message = gettext(
                "The link %(url)s does not work (%(detail)s): correct it or remove it."
            ) % {"url": url, "detail": broken[url] or gettext("no answer")}
            yield Finding("links.reachable", severity, message, span=(start, end))


def _checked(text: str, *statuses: LinkStatus) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=text, byline="— DGX ^JD"
    )
    return PostSnapshot(
        text=text, language="fr", renditions=(rendition,), link_statuses=tuple(statuses)
    )


LINKS_REACHABLE = Rule(
    code="links.reachable",
    title=_("Links that work"),
    rationale=_(
        "A dead link in an official post sends citizens nowhere and is copied as it is. "
        "A worker fetches every link of a saved draft in the background (a few seconds, "
        "redirects followed); the findings appear once it has answered, on the page and at "
        "submission."
    ),
    default_severity=Severity.WARN,
    check=check_links_reachable,
    params={},
    examples=(
        Example(
            _("The page answers."),
            _checked(
                "Inscriptions : https://www.service-public.fr",
                LinkStatus("https://www.service-public.fr", True, "200 OK"),
            ),
            passes=True,
        ),
        Example(
            _("The page is gone."),
            _checked(
                "Inscriptions : https://www.service-public.fr/ancienne-page",
                LinkStatus("https://www.service-public.fr/ancienne-page", False, "404 Not Found"),
            ),
            passes=False,
        ),
    ),
)

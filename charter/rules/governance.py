"""Who speaks, when, and on what authority: the account, the byline, the embargo, the source."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import regex
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.elections import PARIS, as_aware
from charter.rules import scan
from charter.rules.base import Example, Finding, Param, ParamKind, Rule, Severity
from charter.snapshot import PostSnapshot, RenditionSnapshot


def _moment(value: datetime) -> str:
    return formats.date_format(as_aware(value).astimezone(PARIS), "DATETIME_FORMAT")


# --- gov.account_active ------------------------------------------------------------------------


def check_account_active(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    for rendition in snapshot.renditions:
        if not rendition.account_active:
            message = gettext(
                "The account @%(handle)s is deactivated: remove it from this post, or ask an "
                "administrator to reactivate it."
            ) % {"handle": rendition.handle}
            yield Finding("gov.account_active", severity, message, account_id=rendition.account_id)


# --- gov.byline --------------------------------------------------------------------------------

BYLINE_FULL = "full"  # "— DGX ^JD": the unit's code and the author's initials
BYLINE_SHORT = "short"  # "^JD": the initials; the account and the public roster give the unit


def _contains_token(byline: str, token: str) -> bool:
    """``token`` as a whole word of the byline, whatever its case ("DGX" in "— DGX ^JD")."""
    pattern = rf"(?<![\p{{L}}\p{{N}}]){regex.escape(token)}(?![\p{{L}}\p{{N}}])"
    return regex.search(pattern, byline, flags=regex.IGNORECASE) is not None


def check_byline(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    unit, initials = snapshot.author_unit_code.strip(), snapshot.author_initials.strip()
    if not unit and not initials:
        return  # a snapshot that does not name its author has nothing to compare with
    for rendition in snapshot.renditions:
        byline = rendition.byline
        if not byline.strip():
            message = gettext(
                "The post on @%(handle)s has no byline: set the account's byline template so "
                "that it signs with the unit (%(unit)s) and the author's initials (%(initials)s)."
            ) % {"handle": rendition.handle, "unit": unit, "initials": initials}
            yield Finding("gov.byline", severity, message, account_id=rendition.account_id)
            continue
        # The short form ("^JD") leaves the unit to the account and the public roster; the
        # initials are the author's in every form.
        required = (initials,) if params["form"] == BYLINE_SHORT else (unit, initials)
        missing = [token for token in required if token and not _contains_token(byline, token)]
        if missing and params["form"] == BYLINE_SHORT:
            message = gettext(
                "The byline “%(byline)s” on @%(handle)s does not show the author's initials "
                "%(initials)s: the short form signs with them. Fix the account's byline template."
            ) % {"byline": byline, "handle": rendition.handle, "initials": initials}
            yield Finding("gov.byline", severity, message, account_id=rendition.account_id)
        elif missing:
            message = gettext(
                "The byline “%(byline)s” on @%(handle)s does not show %(missing)s: it must sign "
                "with the unit %(unit)s and the author's initials %(initials)s. Fix the "
                "account's byline template."
            ) % {
                "byline": byline,
                "handle": rendition.handle,
                "missing": ", ".join(missing),
                "unit": unit,
                "initials": initials,
            }
            yield Finding("gov.byline", severity, message, account_id=rendition.account_id)


# --- gov.figures_source ------------------------------------------------------------------------

# A number starts where no digit group precedes it, and its groups are taken possessively:
# a long run of digit groups is scanned once, not once per group.
_NUMBER = (
    r"(?<![\p{L}\p{N}])(?<!\p{N}[\u00a0\u202f ])"
    r"\p{N}++(?:[\u00a0\u202f ]\p{N}++)*+(?:[.,]\p{N}++)?+"
)
FIGURE_RE = regex.compile(
    rf"{_NUMBER}[\u00a0\u202f ]?(?:%|‰|pour ?cent\b|€|(?:k|M|Md|Mds)€|euros?\b"
    rf"|(?:millions?|milliards?)(?: (?:d['\u2019]|de )?(?:euros?|€))?)"
    r"|[€$][\u00a0\u202f ]?\p{N}++(?:[\u00a0\u202f ]\p{N}++)*+(?:[.,]\p{N}++)?+",
    flags=regex.IGNORECASE,
)


def find_figures(text: str) -> list[tuple[int, int]]:
    """Percentages and amounts of money, outside links, mentions and hashtags."""
    masked = scan.masked(text)
    spans = []
    for match in FIGURE_RE.finditer(masked):
        start, end = match.span()
        while end > start and masked[end - 1] in " \u00a0\u202f":
            end -= 1
        spans.append((start, end))
    return spans


def check_figures_source(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    if snapshot.source.strip():
        return
    figures = find_figures(snapshot.text)
    if figures:
        message = gettext(
            "%(count)d figure(s) (percentages, amounts) and no source: give the post's source "
            "(study, dataset, report) so readers and reviewers can check them."
        ) % {"count": len(figures)}
        yield Finding("gov.figures_source", severity, message, span=figures[0])


# --- embargo.later_than_schedule ---------------------------------------------------------------


def check_embargo(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    moment, embargo = snapshot.effective_time, snapshot.embargo_until
    if moment is None or embargo is None:
        return
    if as_aware(moment) < as_aware(embargo):
        if snapshot.scheduled_for is not None:
            message = gettext(
                "Scheduled for %(when)s, before the embargo ends at %(embargo)s: schedule it "
                "at %(embargo)s or later."
            ) % {"when": _moment(moment), "embargo": _moment(embargo)}
        else:
            message = gettext(
                "Under embargo until %(embargo)s and not scheduled, so it would go out as soon "
                "as approved: schedule it at %(embargo)s or later."
            ) % {"embargo": _moment(embargo)}
        yield Finding("embargo.later_than_schedule", severity, message)


# --- Examples ----------------------------------------------------------------------------------


def _snapshot(
    text: str = "La médiathèque ouvre le dimanche.",
    *,
    byline: str = "— DGX ^JD",
    active: bool = True,
    **fields: Any,
) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1,
        network="mastodon",
        handle="dgx",
        body=text,
        byline=byline,
        account_active=active,
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,), **fields)


def _paris(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=PARIS)


GOV_ACCOUNT_ACTIVE = Rule(
    code="gov.account_active",
    title=_("Active accounts only"),
    rationale=_(
        "An account an administrator deactivated (a closed service, a compromised account, a "
        "handover) must not publish; the post must drop it or wait for its reactivation."
    ),
    default_severity=Severity.BLOCK,
    check=check_account_active,
    examples=(
        Example(_("An active account."), _snapshot(), passes=True),
        Example(_("A deactivated account."), _snapshot(active=False), passes=False),
    ),
)

GOV_BYLINE = Rule(
    code="gov.byline",
    title=_("Byline of the unit and the author"),
    rationale=_(
        "Every post signs with the speaking unit's code and the author's initials, so that a "
        "reader knows who speaks and the administration knows who wrote it. The byline comes "
        "from the account's template: this rule catches a template that leaves either out. It "
        "is checked when the snapshot names the author, as Porte-voix's always do. A charter "
        "chooses the form: “full” (the unit's code and the initials, “— DGX ^JD”) or “short” "
        "(the initials only, “^JD”, when the account already says which unit speaks and the "
        "public roster of the unit's authors gives who JD is); the initials must be the "
        "author's in either form."
    ),
    default_severity=Severity.BLOCK,
    check=check_byline,
    params={
        "form": Param(
            kind=ParamKind.CHOICE,
            default=BYLINE_FULL,
            choices=(BYLINE_FULL, BYLINE_SHORT),
            help=_(
                "“full”: the byline shows the unit's code and the author's initials; "
                "“short”: the author's initials only."
            ),
        )
    },
    examples=(
        Example(
            _("Unit and initials in the byline."),
            _snapshot(author_unit_code="DGX", author_initials="JD"),
            passes=True,
        ),
        Example(
            _("A template without the author's initials."),
            _snapshot(byline="— DGX", author_unit_code="DGX", author_initials="JD"),
            passes=False,
        ),
        Example(
            _("The short form chosen by the charter, with the author's initials."),
            _snapshot(byline="^JD", author_unit_code="DGX", author_initials="JD"),
            passes=True,
            params={"form": BYLINE_SHORT},
        ),
        Example(
            _("The short form with someone else's initials."),
            _snapshot(byline="^AB", author_unit_code="DGX", author_initials="JD"),
            passes=False,
            params={"form": BYLINE_SHORT},
        ),
    ),
)

GOV_FIGURES_SOURCE = Rule(
    code="gov.figures_source",
    title=_("Figures have a source"),
    rationale=_(
        "A percentage or an amount published by an institution is quoted and checked: the post "
        "must say where it comes from (the post's source field: a study, a dataset, a report). "
        "Dates and counts of people or places are not figures here: they would make every "
        "announcement warn."
    ),
    default_severity=Severity.WARN,
    check=check_figures_source,
    examples=(
        Example(
            _("A figure with its source."),
            _snapshot("Le chômage baisse de 0,3 % ce trimestre.", source="Insee, ILC T3 2026"),
            passes=True,
        ),
        Example(
            _("A figure without a source."),
            _snapshot("Le chômage baisse de 0,3 % ce trimestre."),
            passes=False,
        ),
    ),
)

EMBARGO_LATER_THAN_SCHEDULE = Rule(
    code="embargo.later_than_schedule",
    title=_("Published after the embargo"),
    rationale=_(
        "A post under embargo (a press release, statistics, an announcement reserved for a "
        "minister) must not go out before the embargo ends. An unscheduled post goes out as "
        "soon as approved, so it is judged at the time of the check."
    ),
    default_severity=Severity.BLOCK,
    check=check_embargo,
    examples=(
        Example(
            _("Scheduled when the embargo ends."),
            _snapshot(scheduled_for=_paris(3, 12, 10), embargo_until=_paris(3, 12, 10)),
            passes=True,
        ),
        Example(
            _("Scheduled an hour before the embargo ends."),
            _snapshot(scheduled_for=_paris(3, 12, 9), embargo_until=_paris(3, 12, 10)),
            passes=False,
        ),
    ),
)

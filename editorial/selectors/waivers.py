"""Reads of charter waivers: what may still be waived on a post (the charter's verdict now),
the waivers given on a post, and those granted during a month (the exceptions report's rows).

The waiver itself is ``editorial.services.waivers.waiver_grant``; who may give one is
``editorial.policies.waivers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from charter.engine import CheckReport
from charter.rules import RULES
from charter.waivers import WaiverCategory, allowed_categories
from editorial.models import Post, Waiver
from editorial.selectors.posts import posts_visible_to
from editorial.snapshots import charter_check, snapshot_for_revision

# --- what may be waived ----------------------------------------------------------------------


def current_report(post: Post) -> CheckReport:
    """The charter's verdict on the current revision now, the existing waivers applied."""
    revision = post.current_revision
    assert revision is not None
    waived = frozenset(revision.waivers.values_list("rule", flat=True))
    return charter_check(
        snapshot_for_revision(post, revision),
        unit=post.unit,
        accounts=list(post.accounts.all()),
        waived=waived,
    )


@dataclass(frozen=True)
class WaiverOption:
    """One rule with findings on the current revision, as the waive form offers it."""

    rule: str
    title: str
    messages: tuple[str, ...]
    severity: str
    categories: tuple[WaiverCategory, ...]  # empty: the rule cannot be waived

    @property
    def waivable(self) -> bool:
        return bool(self.categories)


def waiver_options(report: CheckReport) -> list[WaiverOption]:
    """The rules that could still be waived (or are refused a waiver), one per rule."""
    by_rule: dict[str, list[str]] = {}
    severity: dict[str, str] = {}
    for finding in report.findings:
        if finding.waived:
            continue
        by_rule.setdefault(finding.rule, []).append(finding.message)
        if severity.get(finding.rule) != "block":
            severity[finding.rule] = str(finding.severity)
    return [
        WaiverOption(
            rule=code,
            title=str(RULES[code].title) if code in RULES else code,
            messages=tuple(found),
            severity=severity[code],
            categories=allowed_categories(code),
        )
        for code, found in by_rule.items()
    ]


# --- history and the monthly exceptions report --------------------------------------------


@dataclass(frozen=True)
class WaiverRow:
    waiver: Waiver
    voided_by: int | None  # the revision that replaced the waived one; None while it applies


def waivers_of(post: Post) -> list[WaiverRow]:
    """Every waiver given on the post, oldest first, with the revision that voided it."""
    current = post.current_revision.number if post.current_revision else 0
    rows = []
    for waiver in post.waivers.select_related("granted_by", "revision"):
        number = waiver.revision.number
        rows.append(WaiverRow(waiver, None if number == current else number + 1))
    return rows


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next, in the site's time zone."""
    start = datetime(month.year, month.month, 1)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
    return timezone.make_aware(start), timezone.make_aware(end)


def waivers_in_month(month: date, *, user: User | None = None) -> QuerySet[Waiver]:
    """Waivers granted during ``month``; with ``user``, only on posts that user may see.

    ``user`` None is for operators (the management command), who read everything.
    """
    start, end = month_bounds(month)
    waivers = Waiver.objects.filter(created_at__gte=start, created_at__lt=end)
    if user is not None:
        waivers = waivers.filter(post__in=posts_visible_to(user).values("pk"))
    return (
        waivers.select_related("post", "post__unit", "post__current_revision", "revision")
        .select_related("granted_by")
        .prefetch_related("post__accounts")
        .order_by("created_at", "pk")
    )

"""What the dashboard shows a member at a glance: per account the next scheduled post and
whether a freeze holds it, the failed publications, the reviews running late and the week's
counts. A fixed number of queries, however many accounts and posts (tests/editorial/
test_dashboard.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import SocialAccount
from editorial.models import AuditEvent, Freeze, Post, PostState
from editorial.selectors.freezes import active_freezes
from editorial.selectors.posts import posts_visible_to, visible_account_ids

if TYPE_CHECKING:
    from accounts.models import User

# How many failed posts and late reviews the dashboard lists (the search page has the rest).
SHOWN = 10

# The week's counts: what each counts, by the audit verbs of the posts' events.
WEEK_VERBS = {
    "drafted": ("created",),
    "submitted": ("submitted", "resubmitted"),
    "approved": ("approved", "published_urgently"),
    "published": ("published",),
    "failed": ("failed",),
}


@dataclass(frozen=True)
class AccountLine:
    account: SocialAccount
    next_post: Post | None  # the next scheduled post, None when nothing is scheduled
    freeze: Freeze | None  # the active freeze that holds it: its own, else the organisation's


@dataclass(frozen=True)
class Dashboard:
    accounts: list[AccountLine]
    org_freeze: Freeze | None
    failures: list[Post]
    # Still in review although the time their author asked for has passed.
    overdue: list[Post]
    week_start: datetime
    week: dict[str, int]  # WEEK_VERBS' keys → how many posts this week, among those visible


def dashboard_for(user: User, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    posts = posts_visible_to(user)
    freezes = list(active_freezes())
    org_freeze = next((f for f in freezes if f.account_id is None), None)
    week_start = _week_start(now)
    return Dashboard(
        accounts=_account_lines(user, posts, freezes, org_freeze, now),
        org_freeze=org_freeze,
        failures=list(posts.filter(state=PostState.FAILED).order_by("-updated_at")[:SHOWN]),
        overdue=list(
            posts.filter(state=PostState.IN_REVIEW, requested_publish_at__lt=now).order_by(
                "requested_publish_at"
            )[:SHOWN]
        ),
        week_start=week_start,
        week=_week_counts(posts, week_start),
    )


def _account_lines(
    user: User,
    posts: QuerySet[Post],
    freezes: list[Freeze],
    org_freeze: Freeze | None,
    now: datetime,
) -> list[AccountLine]:
    upcoming = Post.objects.filter(
        accounts=OuterRef("pk"), state=PostState.SCHEDULED, scheduled_at__gte=now
    ).order_by("scheduled_at", "pk")
    accounts = list(
        SocialAccount.objects.filter(pk__in=visible_account_ids(user), is_active=True)
        .select_related("unit")
        .annotate(next_post_id=Subquery(upcoming.values("pk")[:1]))
        .order_by("unit__name", "network", "handle")
    )
    wanted = {a.next_post_id for a in accounts if a.next_post_id}
    found = {p.pk: p for p in posts.filter(pk__in=wanted)} if wanted else {}
    frozen = {f.account_id: f for f in freezes if f.account_id is not None}
    return [
        AccountLine(
            account=a,
            next_post=found.get(a.next_post_id),
            freeze=frozen.get(a.pk, org_freeze),
        )
        for a in accounts
    ]


def _week_start(now: datetime) -> datetime:
    """Monday 00:00 of this week, in the reader's time zone."""
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    return timezone.make_aware(datetime.combine(monday, time.min))


def _week_counts(posts: QuerySet[Post], since: datetime) -> dict[str, int]:
    """How many visible posts went through each step since ``since`` (a post submitted twice
    counts once)."""
    verbs = [v for names in WEEK_VERBS.values() for v in names]
    rows = (
        AuditEvent.objects.filter(
            post__in=posts.values("pk"), verb__in=verbs, created_at__gte=since
        )
        .values("verb")
        .annotate(n=Count("post", distinct=True))
    )
    by_verb = {row["verb"]: row["n"] for row in rows}
    return {key: sum(by_verb.get(v, 0) for v in names) for key, names in WEEK_VERBS.items()}

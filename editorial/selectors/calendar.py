"""The calendar's reads: the scheduled and published posts a user may see over a bounded range,
which of them they may move, and the bands drawn behind them (freezes, election periods).

Every post comes through ``posts_visible_to``: the calendar never shows a post its reader may
not open. The number of queries does not depend on the number of posts (the JSON feed and the
list page are tested for it): the accounts, the rights and the bands are read once per range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import OrgUnit, SocialAccount
from charter.elections import DEFAULT_POLLS_CLOSE, silence_period, zone
from charter.models import ElectionWindow
from editorial.models import Freeze, Post, PostState
from editorial.selectors.posts import posts_visible_to, visible_account_ids

if TYPE_CHECKING:
    from accounts.models import User

# A month view asks for six weeks; a list or a year would be a different page. Beyond this the
# feed refuses in words rather than read an unbounded number of posts.
MAX_RANGE_DAYS = 100

S = PostState
# What has a time on the calendar: on the schedule, held at it, going out, or gone out.
CALENDAR_STATES = (S.SCHEDULED, S.HELD, S.PUBLISHING, S.PUBLISHED, S.FAILED)
# Only these can still be moved: nothing has reached a network.
MOVABLE_STATES = (S.SCHEDULED,)


class RangeTooLong(ValueError):
    """The asked range is longer than ``MAX_RANGE_DAYS`` or ends before it starts."""


def check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise RangeTooLong(_("The end of the period must come after its start."))
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise RangeTooLong(
            _("The period is too long: at most %(days)s days at a time.") % {"days": MAX_RANGE_DAYS}
        )


def calendar_accounts(user: User) -> QuerySet[SocialAccount]:
    """The accounts the user holds any grant on: the account filter's choices."""
    accounts: QuerySet[SocialAccount] = SocialAccount.objects.filter(
        pk__in=visible_account_ids(user)
    ).order_by("network", "handle", "pk")
    return accounts


@dataclass(frozen=True)
class CalendarEntry:
    post: Post
    at: datetime
    movable: bool  # scheduled, and the user may publish on every account of the post


def calendar_entries(
    user: User, *, start: datetime, end: datetime, account: SocialAccount | None = None
) -> list[CalendarEntry]:
    """The posts with a time in [start, end) that the user may see, in time order."""
    check_range(start, end)
    posts = posts_visible_to(user).filter(
        state__in=CALENDAR_STATES, scheduled_at__gte=start, scheduled_at__lt=end
    )
    if account is not None:
        posts = posts.filter(accounts=account)
    found = list(posts.order_by("scheduled_at", "pk"))
    publishable = set(
        permissions.accounts_for(user, permissions.Perm.PUBLISH).values_list("pk", flat=True)
    )
    entries = []
    for post in found:
        assert post.scheduled_at is not None
        accounts = {a.pk for a in post.accounts.all()}  # prefetched
        movable = post.state in MOVABLE_STATES and bool(accounts) and accounts <= publishable
        entries.append(CalendarEntry(post=post, at=post.scheduled_at, movable=movable))
    return entries


@dataclass(frozen=True)
class Band:
    """A period drawn behind the posts: a freeze, a pre-electoral period, an electoral
    silence. ``end`` None: still going (an active freeze)."""

    kind: str  # "freeze", "election" or "silence"
    label: str
    start: datetime
    end: datetime | None


def calendar_bands(
    user: User, *, start: datetime, end: datetime, account: SocialAccount | None = None
) -> list[Band]:
    """Freezes and election periods over [start, end) that concern the accounts shown."""
    check_range(start, end)
    accounts = [account] if account is not None else list(calendar_accounts(user))
    return [
        *_freeze_bands(accounts, start=start, end=end),
        *_election_bands(accounts, start=start, end=end),
    ]


def _freeze_bands(accounts: list[SocialAccount], *, start: datetime, end: datetime) -> list[Band]:
    freezes = (
        Freeze.objects.filter(Q(account__isnull=True) | Q(account__in=accounts))
        .filter(frozen_at__lt=end)
        .filter(Q(lifted_at__isnull=True) | Q(lifted_at__gt=start))
        .select_related("account")
        .order_by("frozen_at", "pk")
    )
    return [
        Band(
            kind="freeze",
            label=_("Publishing frozen: %(target)s") % {"target": f.target},
            start=f.frozen_at,
            end=f.lifted_at,
        )
        for f in freezes
    ]


def _unit_chains(accounts: list[SocialAccount]) -> set[int]:
    """The accounts' units and every unit above them, from one read of the chart."""
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    found: set[int] = set()
    for account in accounts:
        node: int | None = account.unit_id
        while node is not None and node not in found:
            found.add(node)
            node = parents.get(node)
    return found


def _election_bands(accounts: list[SocialAccount], *, start: datetime, end: datetime) -> list[Band]:
    """Each election on the accounts' unit chains: its pre-electoral period (from its first
    day to the close of the polls of its last round, in the election's time zone) and the
    silence before each round (art. L49), as ``charter.elections`` computes them."""
    if not accounts:
        return []
    units = _unit_chains(accounts)
    windows = (
        ElectionWindow.objects.filter(Q(unit__isnull=True) | Q(unit_id__in=units))
        .annotate(last_vote=Coalesce("second_round", "first_round"))
        .filter(last_vote__gte=(start - timedelta(days=1)).date())
        .order_by("first_round", "pk")
    )
    bands: list[Band] = []
    for window in windows:
        snapshot = window.to_snapshot()
        tz = zone(snapshot.time_zone)
        close = snapshot.polls_close or DEFAULT_POLLS_CLOSE
        opens = datetime.combine(snapshot.window_start, time(0), tzinfo=tz)
        closes = datetime.combine(snapshot.last_vote, close, tzinfo=tz)
        if opens >= end or closes <= start:
            continue
        bands.append(
            Band(
                kind="election",
                label=_("Pre-electoral period: %(name)s") % {"name": window.name},
                start=opens,
                end=closes,
            )
        )
        bands += [_silence(window.name, vote, close, tz) for vote in snapshot.vote_dates]
    return [b for b in bands if b.start < end and (b.end is None or b.end > start)]


def _silence(name: str, vote: date, close: time, tz: ZoneInfo) -> Band:
    begins, ends = silence_period(vote, polls_close=close, tz=tz)
    return Band(
        kind="silence",
        label=_("Electoral silence: %(name)s") % {"name": name},
        start=begins,
        end=ends,
    )

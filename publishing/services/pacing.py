"""Pacing, applied where publications are handed out (the tick's queueing step): the
late-post policy's hold, per-account concurrency and rate budgets, and backlog pacing.

Publications that are late but within their account's limit form a backlog that goes out one
per account every PUBLISH_BACKLOG_PACE_SECONDS, so an account never floods its followers
after an outage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count

from publishing.models import Publication, PublicationState
from publishing.services import heartbeat
from publishing.services.late import late_limit

P = PublicationState


def rate_limit(network: str) -> tuple[int, timedelta] | None:
    """The account's budget on its network: (posts, per window), None when unlimited."""
    value = str(settings.PUBLISH_RATE_LIMITS.get(network, "") or "")
    if not value:
        return None
    count, _slash, seconds = value.partition("/")
    return int(count), timedelta(seconds=int(seconds))


@dataclass
class Pacer:
    """Decides, within one tick, which pending publications may be queued now.

    In order: the late-post policy (hold), the account's concurrency (at most
    PUBLISH_ACCOUNT_CONCURRENCY queued or sending at once, a dead worker's claims not
    counted), its rate budget on the network
    (PUBLISH_RATE_LIMITS, kept under the servers' own limits so that bursts never end in a
    429), and backlog pacing. What it needs from the database is read once per tick for all
    the candidates' accounts (``for_candidates``), not once per publication: the tick runs
    every second.
    """

    now: datetime
    in_flight: dict[int, int] = field(default_factory=dict)  # queued or sending, per account
    used: dict[int, int] = field(default_factory=dict)  # rate budget spent, per account
    recent: dict[int, set[Any]] = field(default_factory=dict)  # queued within the pace
    released: set[int] = field(default_factory=set)  # accounts given a backlog item this tick

    @classmethod
    def for_candidates(cls, now: datetime, candidates: list[Publication]) -> Pacer:
        pacer = cls(now=now)
        accounts = {p.account_id for p in candidates}
        if not accounts:
            return pacer
        mine = Publication.objects.filter(account_id__in=accounts)
        # A dead worker's claims hold nothing: that worker will never finish them.
        pacer.in_flight = dict(
            mine.filter(state__in=[P.QUEUED, P.SENDING])
            .exclude(pk__in=heartbeat.dead_claims(now).values("pk"))
            .values("account_id")
            .annotate(n=Count("pk"))
            .values_list("account_id", "n")
        )
        for network in {p.account.network for p in candidates}:
            limit = rate_limit(network)
            if limit is None:
                continue
            pacer.used.update(
                mine.filter(
                    account__network=network,
                    state__in=[P.QUEUED, P.SENDING, P.PUBLISHED],
                    queued_at__gt=now - limit[1],
                )
                .values("account_id")
                .annotate(n=Count("pk"))
                .values_list("account_id", "n")
            )
        pace = timedelta(seconds=settings.PUBLISH_BACKLOG_PACE_SECONDS)
        for account, pk in mine.filter(queued_at__gt=now - pace).values_list("account_id", "pk"):
            pacer.recent.setdefault(account, set()).add(pk)
        return pacer

    def verdict(self, publication: Publication) -> str:
        """ "hold", "wait" (not this account's turn yet) or "go"."""
        late = self.now - publication.due_at
        if publication.late_confirmed_at is None and late > late_limit(publication.account):
            return "hold"
        account = publication.account_id
        if self.in_flight.get(account, 0) >= settings.PUBLISH_ACCOUNT_CONCURRENCY:
            return "wait"
        limit = rate_limit(publication.account.network)
        if limit is not None and self.used.get(account, 0) >= limit[0]:
            return "wait"
        if late > timedelta(seconds=settings.PUBLISH_BACKLOG_GRACE_SECONDS):
            # A reclaimed publication keeps its old queued_at: it does not count against itself.
            recent = self.recent.get(account, set()) - {publication.pk}
            if account in self.released or recent:
                return "wait"
            self.released.add(account)
        self.in_flight[account] = self.in_flight.get(account, 0) + 1
        self.used[account] = self.used.get(account, 0) + 1
        return "go"

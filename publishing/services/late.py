"""The late-post policy, per-account concurrency and rate budgets, and backlog pacing,
applied where publications are handed out (the tick's queueing step).

A publication far later than planned (an outage, a long freeze) may no longer make sense:
past its account's limit it is held until a publisher confirms or cancels it. Publications
that are late but within the limit form a backlog that goes out one per account every
PUBLISH_BACKLOG_PACE_SECONDS, so an account never floods its followers after an outage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import SocialAccount, User
from editorial.models import Post
from editorial.services import (
    EditorialError,
    post_record_late_decision,
    post_record_late_hold,
    refuse_unless_fit,
)
from publishing.adapters.base import Reason
from publishing.models import Publication, PublicationState
from publishing.services import heartbeat
from publishing.services.common import finish_post_if_done

P = PublicationState


def late_limit(account: SocialAccount) -> timedelta:
    minutes = account.late_after_minutes
    if minutes is None:
        minutes = settings.PUBLISH_LATE_AFTER_MINUTES
    return timedelta(minutes=minutes)


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


def hold(publication: Publication, now: datetime) -> bool:
    """Hold one pending publication (conditional update) and tell the post's people."""
    with transaction.atomic():
        if not Publication.objects.filter(pk=publication.pk, state=P.PENDING).update(state=P.HELD):
            return False
        minutes = int((now - publication.due_at).total_seconds() // 60)
        post_record_late_hold(
            post_id=publication.post_id, accounts=[str(publication.account)], late_minutes=minutes
        )
    return True


def _held(post: Post, by: User) -> list[Publication]:
    held = list(Publication.objects.filter(post=post, state=P.HELD).select_related("account"))
    if not held:
        raise EditorialError(_("Nothing of this post is waiting for a confirmation."))
    for publication in held:
        if not permissions.can(by, permissions.Perm.PUBLISH, publication.account):
            raise PermissionDenied(
                _("Only a publisher of %(account)s can decide.") % {"account": publication.account}
            )
    return held


@transaction.atomic
def publications_confirm_late(*, post: Post, by: User) -> int:
    """Let the held publications go out (paced as a backlog); they are never held again."""
    held = _held(post, by)
    now = timezone.now()
    # It goes out now, not when it was due: the charter's moment-dependent rules say whether
    # it still may (an electoral silence may have begun while it waited).
    refuse_unless_fit(post, at=now)
    changed = Publication.objects.filter(pk__in=[p.pk for p in held], state=P.HELD).update(
        state=P.PENDING, next_attempt_at=now, late_confirmed_by=by, late_confirmed_at=now
    )
    post_record_late_decision(
        post_id=post.pk, by=by, accounts=[str(p.account) for p in held], confirmed=True
    )
    return changed


@transaction.atomic
def publications_cancel_late(*, post: Post, by: User, reason: str) -> int:
    """Give up the held publications: they end failed, with the reason, and nothing is sent.
    The post then reports failed; a publisher may still retry it or withdraw it."""
    why = reason.strip()
    if len(why) < 10:
        raise EditorialError(_("Say why the post should not go out (at least 10 characters)."))
    held = _held(post, by)
    error = _("Not published: too late, cancelled by %(who)s: %(why)s") % {"who": by, "why": why}
    changed = Publication.objects.filter(pk__in=[p.pk for p in held], state=P.HELD).update(
        state=P.FAILED,
        last_error=error,
        last_error_reason=Reason.CANCELLED_LATE.value,
        last_error_params={"who": str(by), "why": why},
    )
    post_record_late_decision(
        post_id=post.pk, by=by, accounts=[str(p.account) for p in held], confirmed=False, reason=why
    )
    transaction.on_commit(lambda: finish_post_if_done(post.pk))
    return changed

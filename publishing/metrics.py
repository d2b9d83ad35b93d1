"""Read-only figures on the publishing engine, for the ``/metrics`` endpoint and the admin
health page: what is late, what is stuck, what failed and how late the published posts left.

Every figure is computed from the outbox rows at the moment of the request (a handful of
grouped queries); nothing is counted in memory between requests, so any web process answers
the same. Each sample says whether it deserves a look (``warning``): the health page colours
it and an alerting rule can use the same thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import SocialAccount
from editorial import email_delivery
from editorial.models import Post, PostState
from publishing.models import Attempt, Publication, PublicationState
from publishing.services import sweeper

P = PublicationState
O = Attempt.Outcome  # noqa: E741 (short alias, as P above)
NETWORKS: tuple[str, ...] = tuple(SocialAccount.Network.values)
FAILURE_KINDS: tuple[str, ...] = (O.PERMANENT, O.TRANSIENT, O.UNKNOWN)
QUANTILES: tuple[float, ...] = (0.5, 0.95)
WINDOW = timedelta(hours=24)
PREFIX = "porte_voix_publishing_"

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Sample:
    labels: Labels
    value: float
    warning: bool


@dataclass(frozen=True)
class Metric:
    name: str  # without PREFIX
    help: str  # English, for the exposition format
    title: str | Promise  # translated, for the health page
    samples: tuple[Sample, ...]


def _overdue_after() -> timedelta:
    return timedelta(seconds=settings.METRICS_OVERDUE_SECONDS)


def _by_network(qs: QuerySet[Publication]) -> dict[str, int]:
    rows = qs.values("account__network").annotate(n=Count("pk")).order_by()
    return {row["account__network"]: row["n"] for row in rows}


def _network_samples(counts: dict[str, int], *, warn_above: float = 0) -> tuple[Sample, ...]:
    return tuple(
        Sample((("network", n),), float(counts.get(n, 0)), counts.get(n, 0) > warn_above)
        for n in NETWORKS
    )


def overdue(now: datetime) -> dict[str, int]:
    """Publications not ended whose due time passed more than METRICS_OVERDUE_SECONDS ago."""
    return _by_network(
        # Held publications wait for a human on purpose: counted apart (held_publications).
        Publication.objects.exclude(state__in=[P.PUBLISHED, P.FAILED, P.HELD, P.WAITING]).filter(
            due_at__lt=now - _overdue_after()
        )
    )


def scheduled_not_started(now: datetime) -> int:
    """Posts still ``scheduled`` more than METRICS_OVERDUE_SECONDS after their time: the
    tick should have started them a lookahead early."""
    return int(
        Post.objects.filter(
            state=PostState.SCHEDULED, scheduled_at__lt=now - _overdue_after()
        ).count()
    )


def held() -> dict[str, int]:
    """Publications later than their account allows, waiting for a publisher's decision."""
    return _by_network(Publication.objects.filter(state=P.HELD))


def queued_stale(now: datetime) -> dict[str, int]:
    """Handed to the broker longer ago than the scheduler's stale limit: the message is lost
    or no worker consumes the queue."""
    return _by_network(
        Publication.objects.filter(state=P.QUEUED, queued_at__lt=now - sweeper.queue_stale())
    )


def sending_stale(now: datetime) -> dict[str, int]:
    """Claimed by a worker longer ago than the scheduler's stale limit: the worker died or hangs."""
    return _by_network(
        Publication.objects.filter(state=P.SENDING, claimed_at__lt=now - sweeper.sending_stale())
    )


def failures(now: datetime) -> dict[tuple[str, str], int]:
    """Failed attempts of the last 24 hours by (network, outcome kind)."""
    rows = (
        Attempt.objects.filter(outcome__in=FAILURE_KINDS, finished_at__gte=now - WINDOW)
        .values("publication__account__network", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(r["publication__account__network"], r["outcome"]): r["n"] for r in rows}


def published(now: datetime) -> dict[str, int]:
    return _by_network(
        Publication.objects.filter(state=P.PUBLISHED, published_at__gte=now - WINDOW)
    )


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of sorted ``values`` (NaN when there are none)."""
    if not values:
        return math.nan
    rank = max(math.ceil(q * len(values)), 1)
    return values[rank - 1]


def lateness(now: datetime) -> dict[str, list[float]]:
    """Seconds from due time to the server's acknowledgement, sorted, by network, for the
    published attempts acknowledged in the last 24 hours."""
    rows = Attempt.objects.filter(
        outcome=O.PUBLISHED, acknowledged_at__gte=now - WINDOW
    ).values_list("publication__account__network", "acknowledged_at", "publication__due_at")
    found: dict[str, list[float]] = {}
    for network, acknowledged_at, due_at in rows:
        if acknowledged_at is None:  # excluded by the filter; narrows the type
            continue
        found.setdefault(network, []).append((acknowledged_at - due_at).total_seconds())
    return {network: sorted(values) for network, values in found.items()}


def collect(*, now: datetime | None = None) -> list[Metric]:
    now = now or timezone.now()
    return [*_outbox_metrics(now), *_attempt_metrics(now), *_email_metrics(now)]


def _outbox_metrics(now: datetime) -> list[Metric]:
    """Where the publications stand: overdue, not started, held, stale."""
    return [
        Metric(
            "overdue_publications",
            "Publications not ended whose due time passed more than the overdue limit ago.",
            _("Overdue publications"),
            _network_samples(overdue(now)),
        ),
        Metric(
            "scheduled_posts_not_started",
            "Scheduled posts past their time by more than the overdue limit, not started.",
            _("Scheduled posts past their time, not started"),
            (Sample((), float(n := scheduled_not_started(now)), n > 0),),
        ),
        Metric(
            "held_publications",
            "Publications held by the late-post policy until a publisher confirms or cancels.",
            _("Held: too late, waiting for a publisher"),
            _network_samples(held()),
        ),
        Metric(
            "queued_stale_publications",
            "Publications queued longer ago than the stale limit and not yet claimed.",
            _("Queued but not picked up (stale)"),
            _network_samples(queued_stale(now)),
        ),
        Metric(
            "sending_stale_publications",
            "Publications claimed by a worker longer ago than the stale limit.",
            _("Sending for too long (stale claim)"),
            _network_samples(sending_stale(now)),
        ),
    ]


def _attempt_metrics(now: datetime) -> list[Metric]:
    """What the attempts of the last 24 hours gave: failures, publications, lateness."""
    fails = failures(now)
    late_samples = _lateness_samples(now)
    return [
        Metric(
            "failed_attempts_24h",
            "Failed attempts in the last 24 hours, by outcome kind.",
            _("Failed attempts, last 24 hours"),
            tuple(
                Sample(
                    (("network", network), ("kind", kind)),
                    float(n := fails.get((network, kind), 0)),
                    # Transient errors are retried: only the other kinds need a human.
                    n > 0 and kind != O.TRANSIENT,
                )
                for network in NETWORKS
                for kind in FAILURE_KINDS
            ),
        ),
        Metric(
            "published_24h",
            "Publications published in the last 24 hours.",
            _("Published, last 24 hours"),
            _network_samples(published(now), warn_above=math.inf),
        ),
        Metric(
            "lateness_seconds_24h",
            "Seconds from due time to the server's acknowledgement, last 24 hours (NaN: none).",
            _("Lateness in seconds, last 24 hours"),
            late_samples,
        ),
    ]


def _lateness_samples(now: datetime) -> tuple[Sample, ...]:
    """The lateness quantiles by network, each flagged past the warning threshold."""
    late = lateness(now)
    warn_late = settings.METRICS_LATENESS_WARNING_SECONDS
    late_samples: list[Sample] = []
    for network in NETWORKS:
        for q in QUANTILES:
            value = quantile(late.get(network, []), q)
            late_samples.append(
                Sample((("network", network), ("quantile", str(q))), value, value > warn_late)
            )
    return tuple(late_samples)


def _email_metrics(now: datetime) -> list[Metric]:
    """Notification e-mails (editorial.email_delivery): sent by the same workers."""
    return [
        Metric(
            "notification_emails_overdue",
            "Notification e-mails still pending two sweeps after the sweep should have sent them.",
            _("Notification e-mails not sent in time (no worker or no beat?)"),
            (Sample((), float(n := email_delivery.count_overdue(now)), n > 0),),
        ),
        Metric(
            "notification_emails_failed_24h",
            "Notification e-mails given up, of the notifications of the last 24 hours.",
            _("Notification e-mails given up, last 24 hours"),
            (Sample((), float(n := email_delivery.count_failed(now - WINDOW)), n > 0),),
        ),
    ]


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(int(value)) if value.is_integer() else repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def exposition(metrics: Iterable[Metric]) -> str:
    """The Prometheus text format (version 0.0.4): every figure is a gauge."""
    lines: list[str] = []
    for metric in metrics:
        name = PREFIX + metric.name
        lines.append(f"# HELP {name} {metric.help}")
        lines.append(f"# TYPE {name} gauge")
        for sample in metric.samples:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sample.labels)
            selector = f"{name}{{{labels}}}" if labels else name
            lines.append(f"{selector} {_format_value(sample.value)}")
    return "\n".join(lines) + "\n"

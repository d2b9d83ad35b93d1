"""The publishing figures: each one from outbox rows (read-only code, so rows are made directly
where the send path would take long to reach the state), and the exposition format."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import SocialAccount
from editorial import services as editorial
from publishing import metrics, services
from publishing.adapters.base import PublishError
from publishing.models import Attempt, Publication, PublicationState
from publishing.services.sweeper import queue_stale, sending_stale
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

P = PublicationState
O = Attempt.Outcome  # noqa: E741


def _publication(
    org: Org, account: SocialAccount, *, due_at: datetime, **fields: Any
) -> Publication:
    post = editorial.post_create(by=org.officer, accounts=[account], text="Texte.")
    return Publication.objects.create(
        post=post,
        account=account,
        text="Texte.",
        byline="",
        language="fr",
        scheduled_by=org.manager,
        due_at=due_at,
        next_attempt_at=due_at,
        **fields,
    )


def _attempt(publication: Publication, outcome: str, **fields: Any) -> Attempt:
    return Attempt.objects.create(
        publication=publication,
        number=publication.attempts + 1,
        outcome=outcome,
        started_at=timezone.now(),
        **fields,
    )


def _value(figures: list[metrics.Metric], name: str, **labels: str) -> float:
    metric = next(m for m in figures if m.name == name)
    return next(s.value for s in metric.samples if dict(s.labels) == labels)


def test_overdue_counts_unended_publications_past_the_limit_by_network(
    org: Org, settings: Any
) -> None:
    settings.METRICS_OVERDUE_SECONDS = 60
    now = timezone.now()
    _publication(org, org.mastodon, due_at=now - timedelta(seconds=61), state=P.PENDING)
    _publication(org, org.mastodon, due_at=now - timedelta(seconds=61), state=P.QUEUED)
    _publication(org, org.mastodon, due_at=now - timedelta(seconds=30), state=P.PENDING)
    _publication(org, org.bluesky, due_at=now - timedelta(hours=1), state=P.PUBLISHED)
    _publication(org, org.bluesky, due_at=now - timedelta(hours=1), state=P.FAILED)
    assert metrics.overdue(now) == {"mastodon": 2}


def test_scheduled_not_started_counts_posts_past_their_time_by_more_than_the_limit(
    org: Org, settings: Any
) -> None:
    settings.METRICS_OVERDUE_SECONDS = 60
    at = timezone.now() + timedelta(minutes=10)
    scheduled(org, at=at)
    assert metrics.scheduled_not_started(at + timedelta(seconds=30)) == 0
    assert metrics.scheduled_not_started(at + timedelta(seconds=61)) == 1


def test_queued_stale_counts_publications_queued_before_the_stale_limit(org: Org) -> None:
    now = timezone.now()
    old, recent = now - queue_stale() - timedelta(seconds=1), now - timedelta(seconds=5)
    _publication(org, org.bluesky, due_at=now, state=P.QUEUED, queued_at=old)
    _publication(org, org.bluesky, due_at=now, state=P.QUEUED, queued_at=recent)
    _publication(org, org.mastodon, due_at=now, state=P.SENDING, queued_at=old, claimed_at=old)
    assert metrics.queued_stale(now) == {"bluesky": 1}


def test_sending_stale_counts_claims_older_than_the_stale_limit(org: Org) -> None:
    now = timezone.now()
    old, recent = now - sending_stale() - timedelta(seconds=1), now - timedelta(seconds=5)
    _publication(org, org.mastodon, due_at=now, state=P.SENDING, claimed_at=old)
    _publication(org, org.mastodon, due_at=now, state=P.SENDING, claimed_at=recent)
    assert metrics.sending_stale(now) == {"mastodon": 1}


def test_failures_counts_failed_attempts_of_the_last_day_by_network_and_kind(org: Org) -> None:
    now = timezone.now()
    mastodon = _publication(org, org.mastodon, due_at=now, state=P.PENDING)
    bluesky = _publication(org, org.bluesky, due_at=now, state=P.FAILED)
    _attempt(mastodon, O.TRANSIENT)
    _attempt(mastodon, O.TRANSIENT)
    _attempt(mastodon, O.UNKNOWN)
    _attempt(bluesky, O.PERMANENT)
    _attempt(bluesky, O.PUBLISHED, acknowledged_at=now)
    assert metrics.failures(now) == {
        ("mastodon", O.TRANSIENT): 2,
        ("mastodon", O.UNKNOWN): 1,
        ("bluesky", O.PERMANENT): 1,
    }
    assert metrics.failures(now + timedelta(hours=25)) == {}


def test_failures_built_through_the_outbox_are_counted(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    scheduled(org, accounts=[org.bluesky])
    fake.errors = [PublishError("refused", permanent=True)]
    with django_capture_on_commit_callbacks(execute=False):
        result = services.tick()
    services.publication_send(publication_id=result.queued[0])
    figures = metrics.collect()
    assert _value(figures, "failed_attempts_24h", network="bluesky", kind="permanent") == 1
    assert _value(figures, "published_24h", network="bluesky") == 0


def test_published_and_lateness_built_through_the_outbox(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    scheduled(org)
    with django_capture_on_commit_callbacks(execute=False):
        result = services.tick()
    for pk in result.queued:
        services.publication_send(publication_id=pk)
    figures = metrics.collect()
    assert _value(figures, "published_24h", network="mastodon") == 1
    assert _value(figures, "published_24h", network="bluesky") == 1
    assert _value(figures, "lateness_seconds_24h", network="mastodon", quantile="0.5") >= 0


def test_published_counts_publications_of_the_last_day_only(org: Org) -> None:
    now = timezone.now()
    _publication(org, org.mastodon, due_at=now, state=P.PUBLISHED, published_at=now)
    _publication(
        org, org.mastodon, due_at=now, state=P.PUBLISHED, published_at=now - timedelta(days=2)
    )
    assert metrics.published(now) == {"mastodon": 1}


def test_lateness_gives_nearest_rank_p50_and_p95_per_network(org: Org) -> None:
    now = timezone.now()
    due = now - timedelta(minutes=5)
    for seconds in (3.0, 0.2, 1.0, 0.4):
        publication = _publication(org, org.mastodon, due_at=due, state=P.PUBLISHED)
        _attempt(publication, O.PUBLISHED, acknowledged_at=due + timedelta(seconds=seconds))
    figures = metrics.collect(now=now)
    assert _value(figures, "lateness_seconds_24h", network="mastodon", quantile="0.5") == 0.4
    assert _value(figures, "lateness_seconds_24h", network="mastodon", quantile="0.95") == 3.0
    assert math.isnan(_value(figures, "lateness_seconds_24h", network="bluesky", quantile="0.5"))


def test_lateness_ignores_acknowledgements_older_than_a_day(org: Org) -> None:
    now = timezone.now()
    due = now - timedelta(days=2)
    publication = _publication(org, org.mastodon, due_at=due, state=P.PUBLISHED)
    _attempt(publication, O.PUBLISHED, acknowledged_at=due + timedelta(seconds=1))
    assert metrics.lateness(now) == {}


def test_quantile_of_nothing_is_nan() -> None:
    assert math.isnan(metrics.quantile([], 0.5))


def test_collect_flags_lateness_above_the_warning_limit(org: Org, settings: Any) -> None:
    settings.METRICS_LATENESS_WARNING_SECONDS = 2
    now = timezone.now()
    publication = _publication(org, org.bluesky, due_at=now, state=P.PUBLISHED)
    _attempt(publication, O.PUBLISHED, acknowledged_at=now + timedelta(seconds=3))
    lateness = next(m for m in metrics.collect(now=now) if m.name == "lateness_seconds_24h")
    warned = {dict(s.labels)["network"] for s in lateness.samples if s.warning}
    assert warned == {"bluesky"}


def test_collect_does_not_flag_transient_failures(org: Org) -> None:
    publication = _publication(org, org.mastodon, due_at=timezone.now(), state=P.PENDING)
    _attempt(publication, O.TRANSIENT)
    failed = next(m for m in metrics.collect() if m.name == "failed_attempts_24h")
    assert [s for s in failed.samples if s.warning] == []


def test_exposition_writes_help_type_and_labelled_samples() -> None:
    figure = metrics.Metric(
        "demo",
        "A demo.",
        "Demo",
        (
            metrics.Sample((("network", "mastodon"),), 3.0, False),
            metrics.Sample((("network", 'a"b'),), 0.25, False),
            metrics.Sample((), math.nan, False),
        ),
    )
    assert metrics.exposition([figure]).splitlines() == [
        "# HELP porte_voix_publishing_demo A demo.",
        "# TYPE porte_voix_publishing_demo gauge",
        'porte_voix_publishing_demo{network="mastodon"} 3',
        'porte_voix_publishing_demo{network="a\\"b"} 0.25',
        "porte_voix_publishing_demo NaN",
    ]

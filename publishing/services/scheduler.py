"""The scheduler: ``tick`` is the only place that starts publications and hands them out.

The database holds the schedule; beat only triggers a tick. Claims are conditional updates
(and ``SKIP LOCKED`` on posts), so two ticks never both act on one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from charter.snapshot import thread_parts
from editorial.models import Post
from editorial.services import posts_claim_due
from publishing import outbox
from publishing.models import Publication, PublicationState
from publishing.services import broker, retraction, sweeper
from publishing.services.late import hold
from publishing.services.pacing import Pacer

P = PublicationState
BATCH = 100


def lookahead() -> timedelta:
    """How far ahead a tick claims work: what falls due before the next tick (and a margin).

    Publications due within it are queued at once with an ETA at their due time, so the
    worker holds the message and starts on time instead of up to a tick late. It stays a few
    seconds, far under the broker's visibility timeout, after which Redis would deliver an
    unacknowledged ETA message a second time.
    """
    return timedelta(seconds=settings.PUBLISH_LOOKAHEAD_SECONDS)


@dataclass(frozen=True)
class TickResult:
    started_posts: int
    queued: list[UUID]
    reclaimed: int


def tick(*, now: datetime | None = None) -> TickResult:
    """Start what falls due before ``now`` + the lookahead, reclaim lost work, queue it."""
    now = now or timezone.now()
    horizon = now + lookahead()
    started = _start_due_posts(now, horizon)
    reclaimed = sweeper.reclaim_stale(now)
    sweeper.finish_orphaned_posts()
    queued = _queue_due(now, horizon)
    _run_retractions(now)
    return TickResult(started_posts=started, queued=queued, reclaimed=reclaimed)


def _start_due_posts(now: datetime, horizon: datetime) -> int:
    with transaction.atomic():
        # Editorial claims its posts (skipping those another tick holds and the frozen ones)
        # and moves them to publishing; they stay locked until the publications exist.
        started = posts_claim_due(horizon=horizon, limit=BATCH)
        _create_publications(started, now)
    return len(started)


def _create_publications(posts: list[Post], now: datetime) -> None:
    """One publication per account and part of the thread, each its own idempotent unit.

    Only the first part is pending: a later part waits until the part before it is
    published, because it replies to it (``attempts.release_next_part``). A post retried
    after a failure has its publications already: the failed ones go again, same rows.
    """
    existing = {
        (p.post_id, p.account_id, p.part): p
        for p in Publication.objects.filter(post__in=[post.pk for post in posts])
    }
    new: list[Publication] = []
    for post in posts:
        new.extend(_publications_of(post, existing, now))
    # The posts are locked by this tick: nobody else creates their publications.
    Publication.objects.bulk_create(new)


def _publications_of(
    post: Post, existing: dict[tuple[int, int, int], Publication], now: datetime
) -> list[Publication]:
    """The post's publications not made yet (a failed one that exists is retried)."""
    revision = post.current_revision
    assert revision is not None and post.scheduled_by is not None
    bylines: dict[str, str] = post.byline_record.get("bylines", {})
    # Started up to a lookahead early: the first attempt waits for the scheduled time.
    due = post.scheduled_at or now
    new: list[Publication] = []
    for account in post.accounts.all():
        byline = bylines.get(str(account.pk), "")
        # The account's network variant when the author wrote one (the charter measured
        # these same texts: editorial.snapshots); the byline goes into the last part.
        texts = thread_parts(revision.text_for(account.network), revision.thread or (), byline)
        for part, text in enumerate(texts):
            publication = existing.get((post.pk, account.pk, part))
            if publication is not None:
                if publication.state == P.FAILED:
                    _retry(publication, now)
                continue
            new.append(
                Publication(
                    post=post,
                    account=account,
                    part=part,
                    state=P.PENDING if part == 0 else P.WAITING,
                    text=text,
                    byline=byline if part == len(texts) - 1 else "",
                    language=revision.language,
                    byline_record=post.byline_record,
                    scheduled_by=post.scheduled_by,
                    due_at=due,
                    next_attempt_at=due,
                )
            )
    return new


def _retry(publication: Publication, now: datetime) -> None:
    """A human asked for a retry: same row, same payload, same idempotency key. A later part
    whose predecessor is not published waits for it again."""
    before_published = publication.part == 0 or (
        Publication.objects.filter(
            post_id=publication.post_id,
            account_id=publication.account_id,
            part=publication.part - 1,
            state=P.PUBLISHED,
        ).exists()
    )
    outbox.move(
        publication.pk,
        source=P.FAILED,
        target=P.PENDING if before_published else P.WAITING,
        next_attempt_at=now,
        last_error="",
        last_error_reason="",
        last_error_params={},
    )


def due_publications(horizon: datetime) -> QuerySet[Publication]:
    """Pending publications due by ``horizon``, first due first: a publication reclaimed
    from a dead worker (next attempt: now) goes before those due after it."""
    return (
        Publication.objects.filter(state=P.PENDING, next_attempt_at__lte=horizon)
        .select_related("account")
        .order_by("due_at", "next_attempt_at")
    )


def _run_retractions(now: datetime) -> None:
    retraction.request_deletions(now=now)
    sweeper.reclaim_deletions(now=now)
    retraction.queue_deletions(now=now)


def _queue_due(now: datetime, horizon: datetime) -> list[UUID]:
    candidates = list(due_publications(horizon)[:BATCH])
    pacer = Pacer.for_candidates(now, candidates)
    going: list[Publication] = []
    for publication in candidates:
        verdict = pacer.verdict(publication)
        if verdict == "hold":
            hold(publication, now)
        elif verdict == "go":
            going.append(publication)
        # "wait": the account's backlog goes out one at a time
    if not going:
        return []
    with transaction.atomic():
        # Rows another tick holds are skipped, and only pending ones are taken: whatever
        # changed since the candidates were read belongs to someone else.
        mine = set(
            Publication.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[p.pk for p in going], state=P.PENDING)
            .values_list("pk", flat=True)
        )
        outbox.move_all(
            Publication.objects.filter(pk__in=mine),
            source=P.PENDING,
            target=P.QUEUED,
            queued_at=now,
        )
        # Sent when this transaction commits (the tasks' base): never an id still uncommitted.
        for batch in broker.batches([p for p in going if p.pk in mine], now):
            first = batch[0]
            broker.enqueue([p.pk for p in batch], first.next_attempt_at, first.account.network)
    return [p.pk for p in going if p.pk in mine]

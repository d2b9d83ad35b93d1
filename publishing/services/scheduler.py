"""The scheduler: ``tick`` is the only place that starts publications and hands them out.

The database holds the schedule; beat only triggers a tick. Claims are conditional updates
(and ``SKIP LOCKED`` on posts), so two ticks never both act on one row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from charter.snapshot import thread_parts
from editorial.models import Post, PostState
from editorial.services import posts_claim_due
from publishing.models import Attempt, Publication
from publishing.services import heartbeat
from publishing.services.common import P, finish_posts_if_done

logger = logging.getLogger(__name__)

BATCH = 100


def queue_stale() -> timedelta:
    """A queued message not picked up by then is considered lost and enqueued again (a
    broker restarted without it, a worker killed holding it). Safe because the claim is
    conditional and the payload idempotent on the network side."""
    return timedelta(seconds=settings.PUBLISH_QUEUE_STALE_SECONDS)


def sending_stale() -> timedelta:
    """A claim older than this means the worker died mid-send. It must stay well above the
    longest send (a few requests of PUBLISH_REQUEST_TIMEOUT each): a live but slow send that
    is reclaimed runs twice, which the idempotent payload makes harmless but wasteful."""
    return timedelta(seconds=settings.PUBLISH_SENDING_STALE_SECONDS)


def _lookahead() -> timedelta:
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
    horizon = now + _lookahead()
    started = _start_due_posts(now, horizon)
    reclaimed = _reclaim_stale(now)
    _finish_orphaned_posts()
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
    published, because it replies to it (``sending.release_next_part``). A post retried
    after a failure has its publications already: the failed ones go again, same rows.
    """
    existing = {
        (p.post_id, p.account_id, p.part): p
        for p in Publication.objects.filter(post__in=[post.pk for post in posts])
    }
    new: list[Publication] = []
    for post in posts:
        revision = post.current_revision
        assert revision is not None and post.scheduled_by is not None
        bylines: dict[str, str] = post.byline_record.get("bylines", {})
        # Started up to a lookahead early: the first attempt waits for the scheduled time.
        due = post.scheduled_at or now
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
    # The posts are locked by this tick: nobody else creates their publications.
    Publication.objects.bulk_create(new)


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
    Publication.objects.filter(pk=publication.pk).update(
        state=P.PENDING if before_published else P.WAITING,
        next_attempt_at=now,
        last_error="",
        last_error_reason="",
        last_error_params={},
    )


def _reclaim_stale(now: datetime) -> int:
    """Lost queue messages go back to pending; so do claims of a worker that died (it stopped
    beating: PUBLISH_WORKER_DEAD_SECONDS) or that never finished (PUBLISH_SENDING_STALE_SECONDS,
    a worker alive but stuck), first due first, each with an unknown outcome."""
    lost_queue = Publication.objects.filter(
        state=P.QUEUED, queued_at__lt=now - queue_stale()
    ).update(state=P.PENDING, next_attempt_at=now)
    dead_worker = 0
    stalled = (
        Publication.objects.filter(
            Q(state=P.SENDING, claimed_at__lt=now - sending_stale())
            | Q(pk__in=heartbeat.dead_claims(now).values("pk"))
        )
        .order_by("due_at")
        .values_list("pk", "attempts", "claimed_at")[:BATCH]
    )
    for pk, number, claimed_at in stalled:
        with transaction.atomic():
            if Publication.objects.filter(pk=pk, state=P.SENDING, claimed_at=claimed_at).update(
                state=P.PENDING, next_attempt_at=now
            ):
                # The worker may have died after the server accepted the post: the next
                # attempt looks it up first.
                Attempt.objects.create(
                    publication_id=pk,
                    number=number,
                    outcome=Attempt.Outcome.UNKNOWN,
                    error="The worker stopped during the attempt.",
                    started_at=claimed_at or now,
                )
                dead_worker += 1
    if lost_queue or dead_worker:
        logger.warning("Reclaimed %s lost and %s stalled publications", lost_queue, dead_worker)
    return lost_queue + dead_worker


def _finish_orphaned_posts() -> None:
    """Report posts whose publications all ended but whose outcome was never recorded
    (a worker died between the two writes)."""
    open_posts = Publication.objects.exclude(state__in=[P.PUBLISHED, P.FAILED]).values("post_id")
    orphaned = (
        Post.objects.filter(state=PostState.PUBLISHING, publications__isnull=False)
        .exclude(pk__in=open_posts)
        .values_list("pk", flat=True)
        .distinct()[:BATCH]
    )
    finish_posts_if_done(list(orphaned))


def _run_retractions(now: datetime) -> None:
    from publishing.services import retraction

    retraction.request_deletions(now=now)
    retraction.reclaim_deletions(now=now)
    retraction.queue_deletions(now=now)


def _queue_due(now: datetime, horizon: datetime) -> list[UUID]:
    from publishing.services.late import Pacer, hold

    # First due first: a publication reclaimed from a dead worker (next attempt: now) goes
    # before those due after it, whatever its retry time says.
    candidates = list(
        Publication.objects.filter(state=P.PENDING, next_attempt_at__lte=horizon)
        .select_related("account")
        .order_by("due_at", "next_attempt_at")[:BATCH]
    )
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
        Publication.objects.filter(pk__in=mine).update(state=P.QUEUED, queued_at=now)
        for batch in batches([p for p in going if p.pk in mine], now):
            first = batch[0]
            transaction.on_commit(
                partial(
                    enqueue,
                    [p.pk for p in batch],
                    first.next_attempt_at,
                    first.account.network,
                )
            )
    return [p.pk for p in going if p.pk in mine]


def batches(publications: list[Publication], now: datetime) -> list[list[Publication]]:
    """One broker message per server and due moment, at most PUBLISH_BATCH_SIZE each.

    A worker records a batch's sends together, which is what makes a burst cheap; batches
    stay on one server so that a slow instance holds up only its own posts, and on one due
    moment (everything already due counts as now) so that none waits for another's time.
    """
    groups: dict[tuple[str, str, datetime], list[Publication]] = {}
    for publication in publications:
        due = max(publication.next_attempt_at, now)
        account = publication.account
        groups.setdefault((account.network, account.server_url, due), []).append(publication)
    size = max(1, settings.PUBLISH_BATCH_SIZE)
    return [
        group[i : i + size]
        for _key, group in sorted(groups.items(), key=lambda item: item[0][2])
        for i in range(0, len(group), size)
    ]


def queue_for(network: str) -> str:
    """The broker queue of a network's publications (see CELERY_TASK_QUEUES)."""
    return f"publish.{network}"


def enqueue(pks: list[UUID], due: datetime, network: str) -> None:
    """Hand a batch to the broker on its network's queue, with an ETA when it is not yet due.

    The ETA is the due time itself rather than a countdown from the tick's start, so the
    time the tick took does not add to the lateness.
    """
    from publishing import tasks

    args = ([str(pk) for pk in pks],)
    if due > timezone.now():
        tasks.publish_batch.apply_async(args, eta=due, queue=queue_for(network))
    else:
        tasks.publish_batch.apply_async(args, queue=queue_for(network))

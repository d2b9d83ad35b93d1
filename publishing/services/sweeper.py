"""The sweeper: work lost with a broker message or a worker goes back to pending.

A queued message not picked up in time, a claim whose worker died (it stopped beating) or
hung, a deletion claimed too long ago: each is taken back with a conditional update, so a
live worker that still holds its row keeps it. Posts whose publications all ended but whose
outcome was never recorded are reported.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from editorial.models import Post, PostState
from publishing import outbox
from publishing.models import Attempt, DeletionState, Publication, PublicationState
from publishing.services import heartbeat
from publishing.services.outcomes import finish_posts_if_done

logger = logging.getLogger(__name__)

P = PublicationState
D = DeletionState
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


def deletion_stale() -> timedelta:
    """A deletion claimed longer ago than this was lost with its worker: it is claimed again.
    Well above a deletion's duration (two requests of PUBLISH_REQUEST_TIMEOUT at worst)."""
    return timedelta(seconds=settings.PUBLISH_DELETION_STALE_SECONDS)


# What the sweeper takes back, as querysets: the tick moves them, ``preview`` lists them.


def lost_queue(now: datetime) -> QuerySet[Publication]:
    return Publication.objects.filter(state=P.QUEUED, queued_at__lt=now - queue_stale())


def stalled(now: datetime) -> QuerySet[Publication]:
    """Claims of a dead worker or older than the stale limit, first due first."""
    return Publication.objects.filter(
        Q(state=P.SENDING, claimed_at__lt=now - sending_stale())
        | Q(pk__in=heartbeat.dead_claims(now).values("pk"))
    ).order_by("due_at")


def orphaned_posts() -> QuerySet[Post]:
    """Publishing posts whose publications have all ended."""
    open_posts = Publication.objects.exclude(state__in=[P.PUBLISHED, P.FAILED]).values("post_id")
    posts: QuerySet[Post] = (
        Post.objects.filter(state=PostState.PUBLISHING, publications__isnull=False)
        .exclude(pk__in=open_posts)
        .distinct()
    )
    return posts


def stale_deletions(now: datetime) -> QuerySet[Publication]:
    return Publication.objects.filter(
        deletion_state=D.DELETING, deletion_claimed_at__lt=now - deletion_stale()
    )


def reclaim_stale(now: datetime) -> int:
    """Lost queue messages go back to pending; so do claims of a worker that died (it stopped
    beating: PUBLISH_WORKER_DEAD_SECONDS) or that never finished (PUBLISH_SENDING_STALE_SECONDS,
    a worker alive but stuck), first due first, each with an unknown outcome."""
    lost = outbox.move_all(lost_queue(now), source=P.QUEUED, target=P.PENDING, next_attempt_at=now)
    dead_worker = 0
    claims = stalled(now).values_list("pk", "attempts", "claimed_at")[:BATCH]
    for pk, number, claimed_at in claims:
        with transaction.atomic():
            # Still the claim that was read: a worker that recorded meanwhile keeps its row.
            if outbox.move_all(
                Publication.objects.filter(pk=pk, claimed_at=claimed_at),
                source=P.SENDING,
                target=P.PENDING,
                next_attempt_at=now,
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
    if lost or dead_worker:
        logger.warning("Reclaimed %s lost and %s stalled publications", lost, dead_worker)
    return lost + dead_worker


def finish_orphaned_posts() -> None:
    """Report posts whose publications all ended but whose outcome was never recorded
    (a worker died between the two writes)."""
    finish_posts_if_done(list(orphaned_posts().values_list("pk", flat=True)[:BATCH]))


def reclaim_deletions(*, now: datetime) -> int:
    """A claim older than ``deletion_stale()`` means the worker died: try again (it is
    idempotent)."""
    return outbox.move_all(
        stale_deletions(now),
        source=D.DELETING,
        target=D.PENDING,
        deletion_next_at=now,
    )

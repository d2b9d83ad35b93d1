"""Handing work to the broker: which queue, how publications are grouped into messages, and
the ETA. The tasks send on commit (``config.tasks.TransactionAwareTask``): the scheduler, the
send path and the deletions call these inside the transaction that queued the rows."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from publishing.models import Publication


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


def enqueue_deletion(pk: UUID, network: str) -> None:
    from publishing import tasks

    tasks.delete_remote.apply_async((str(pk),), queue=queue_for(network))

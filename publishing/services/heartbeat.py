"""Worker heartbeats: which claims belong to a live worker process.

A claim (``Publication.claimed_by``) names the process that made it. The process beats (its
``WorkerHeartbeat`` row) at every claim and, in a Celery worker, from a daemon thread every
PUBLISH_WORKER_HEARTBEAT_SECONDS for as long as it lives, sends in flight included. A killed
process stops beating with it; PUBLISH_WORKER_DEAD_SECONDS later its claims are dead: they no
longer hold the account's concurrency, and the tick reclaims them with an unknown outcome
(looked up before any resend). Nothing here depends on Celery's own inspection: the rows are
in the database the scheduler already reads, survive a broker restart and are testable with a
frozen clock.

A process alive but stuck (stopped, a paused VM) also stops beating and is treated alike; a
process whose beat thread runs while its sends hang is caught by PUBLISH_SENDING_STALE_SECONDS.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections
from django.db.models import QuerySet
from django.utils import timezone

from publishing.models import Publication, PublicationState, WorkerHeartbeat

logger = logging.getLogger(__name__)

# Rows of processes gone this long are deleted when a worker starts beating.
FORGET_AFTER = timedelta(days=1)

_lock = threading.Lock()
_ids: dict[int, str] = {}  # by process id: a prefork child is a worker of its own
_threads: dict[int, threading.Thread] = {}
_enabled = [False]


def worker_id() -> str:
    """This process's name in claims and heartbeats: host, pid and a random part (a pid is
    reused after a restart; the new process must not inherit the dead one's claims)."""
    pid = os.getpid()
    with _lock:
        ident = _ids.get(pid)
        if ident is None:
            ident = _ids[pid] = f"{socket.gethostname()}:{pid}:{secrets.token_hex(4)}"
        return ident


def dead_after() -> timedelta:
    return timedelta(seconds=settings.PUBLISH_WORKER_DEAD_SECONDS)


def worker_heartbeat_record(*, worker: str, now: datetime) -> None:
    """One beat: the row says ``worker`` was alive at ``now`` (created on its first beat).
    One statement (an upsert), whether or not the row exists: it is on the claim's path."""
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(worker=worker, started_at=now, beat_at=now)],
        update_conflicts=True,
        unique_fields=["worker"],
        update_fields=["beat_at"],
    )


def dead_claims(now: datetime) -> QuerySet[Publication]:
    """Publications being sent by a worker that has not beaten for PUBLISH_WORKER_DEAD_SECONDS
    (or whose row is gone). Claims without a worker (made before heartbeats existed) are left
    to PUBLISH_SENDING_STALE_SECONDS."""
    since = now - dead_after()
    alive = WorkerHeartbeat.objects.filter(beat_at__gte=since).values("worker")
    return (
        Publication.objects.filter(state=PublicationState.SENDING, claimed_at__lt=since)
        .exclude(claimed_by="")
        .exclude(claimed_by__in=alive)
    )


# --- the beat thread, in worker processes ------------------------------------------------


def enable() -> None:
    """Called when a Celery worker starts (config/celery.py): this process and the children it
    forks beat from a thread, started by their first claim."""
    _enabled[0] = True


def ensure_beating() -> None:
    """Start this process's beat thread if it is a worker's and has none yet (a forked child
    inherits the parent's dictionaries but none of its threads, hence the pid)."""
    if not _enabled[0]:
        return
    pid, worker = os.getpid(), worker_id()  # worker_id takes the lock itself
    with _lock:
        if pid in _threads:
            return
        thread = _threads[pid] = threading.Thread(
            target=_beat_forever, args=(worker,), name="publish-heartbeat", daemon=True
        )
    thread.start()


def _beat_forever(worker: str) -> None:
    period = float(settings.PUBLISH_WORKER_HEARTBEAT_SECONDS)
    forget = True
    stop = threading.Event()  # never set: the thread ends with its process
    while True:
        try:
            close_old_connections()  # a connection the database closed is replaced
            now = timezone.now()
            worker_heartbeat_record(worker=worker, now=now)
            if forget:
                WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
                forget = False
        except Exception:
            # The database is away: the next beat tries again. Missing beats for longer than
            # PUBLISH_WORKER_DEAD_SECONDS lets the claims go, which the lookup makes safe.
            logger.exception("Worker heartbeat not recorded")
        stop.wait(period)

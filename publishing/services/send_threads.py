"""The process's send threads: a batch's network calls, run together, never the database.

``sending.publications_send`` reads and writes everything in the database on the worker's
thread, before and after; what runs here only talks to the network (the adapters), so a slow
server holds a thread, never a database connection or a row lock.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from publishing.adapters.base import (
    Adapter,
    Credentials,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
)
from publishing.models import Publication

# Replaced by the tests, which move a frozen clock instead of waiting.
monotonic = time.monotonic


def batch_budget() -> float:
    """Seconds after its claim within which a batch may start another send.

    A claim older than PUBLISH_SENDING_STALE_SECONDS is taken for a dead worker's and
    reclaimed; a send started before the budget ends (a few requests of
    PUBLISH_REQUEST_TIMEOUT at worst) must finish before that. What remains of a batch
    past its budget goes back to pending, unsent, for the next tick.
    """
    stale = float(settings.PUBLISH_SENDING_STALE_SECONDS)
    return max(0.0, stale - 3 * float(settings.PUBLISH_REQUEST_TIMEOUT))


@dataclass
class Job:
    """Everything one network call needs, read from the database beforehand."""

    publication: Publication
    adapter: Adapter
    credentials: Credentials
    payload: PreparedPayload
    post: OutgoingPost
    look_first: bool


class OutOfTime(Exception):
    """The batch's budget ran out before this send started: it was not sent."""


@dataclass
class Sent:
    """A publication the server has: sent now, or found by the lookup after an unknown
    outcome; ``acknowledged`` is when the server's answer came."""

    publication: Publication
    ref: PublishedRef
    found: bool
    acknowledged: datetime


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _send_pool() -> ThreadPoolExecutor:
    """The process's send threads, made on first use and kept, so that each thread keeps
    its keep-alive connections from one batch to the next. By process id: a prefork child
    inherits the parent's dictionary but none of its threads."""
    with _pools_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            size = max(1, settings.PUBLISH_BATCH_SIZE)
            pool = _pools[os.getpid()] = ThreadPoolExecutor(size, thread_name_prefix="publish")
        return pool


def run_jobs(jobs: list[Job], clock: float) -> list[Sent | Exception]:
    """Each job's outcome, in order: sent, or the exception that stopped it."""
    if not jobs:
        return []
    if len(jobs) == 1:
        return [_network(jobs[0], clock, first=True)]
    pool = _send_pool()
    futures = [pool.submit(_network, job, clock, first=n == 0) for n, job in enumerate(jobs)]
    return [f.result() for f in futures]


def _network(job: Job, clock: float, *, first: bool) -> Sent | Exception:
    """One publication's network calls, on a send thread: no database here.

    After an unknown outcome (an earlier attempt whose request may have reached the
    server), the post is looked up before anything is sent again. Past the batch's budget
    nothing starts (the first job always goes), so no claim reaches the stale limit.
    """
    try:
        if not first and monotonic() - clock > batch_budget():
            return OutOfTime()
        if job.look_first:
            found = job.adapter.lookup(job.credentials, job.payload)
            if found is not None:
                return Sent(job.publication, found, True, timezone.now())
        ref = job.adapter.publish(job.credentials, job.payload, job.post)
        # The moment the server acknowledged the post: what lateness is measured against.
        return Sent(job.publication, ref, False, timezone.now())
    except Exception as exc:
        return exc

"""The single send path: the only place that talks to a network and records an attempt
(healthchecks' ``Channel.notify`` idea). Safe to run twice for one publication: the claim
is conditional and the stored payload is idempotent on the network side.

It works on batches (``publications_send``; the tick groups publications of one server due
at the same moment): the database work is done together on the worker's thread, the network
calls together on the process's send threads (``send_threads``). Each publication remains
its own unit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.services import social_account_store_session
from publishing import outbox
from publishing.adapters.base import OutgoingPost, PreparedPayload
from publishing.models import Attempt, Publication, PublicationState
from publishing.services import heartbeat, send_threads
from publishing.services.attempts import attempt_failed, record_successes
from publishing.services.broker import enqueue
from publishing.services.network import adapter_for, credentials_of
from publishing.services.outcomes import finish_posts_if_done
from publishing.services.payloads import outgoing_posts, with_payloads
from publishing.services.send_threads import Job, OutOfTime, Sent

logger = logging.getLogger(__name__)

# Replaced by the tests, which move a frozen clock instead of sleeping.
_sleep = time.sleep

P = PublicationState


def _wait_until_due(publication_ids: list[UUID]) -> list[UUID]:
    """Never send before the due time: wait for it when it is close, else queue again.

    The broker normally delivers at the ETA; a message can still come early (a redelivery,
    a worker clock slightly ahead of beat's). Waiting is bounded by the lookahead plus a
    second for the tick itself; anything further off goes back to the broker with its ETA.
    Returns the ids this delivery handles now (the others were put back, or are not queued:
    the claim will find out who has those).
    """
    rows = Publication.objects.filter(pk__in=publication_ids, state=P.QUEUED).values_list(
        "pk", "next_attempt_at", "account__network"
    )
    now = timezone.now()
    bound = settings.PUBLISH_LOOKAHEAD_SECONDS + 1
    far = [(pk, due, network) for pk, due, network in rows if (due - now).total_seconds() > bound]
    near = [due for _pk, due, _network in rows if (due - now).total_seconds() <= bound]
    for pk, due, network in far:
        with transaction.atomic():
            if Publication.objects.filter(pk=pk, state=P.QUEUED).update(queued_at=timezone.now()):
                enqueue([pk], due, network)  # on commit (the tasks' base)
    wait = (max(near) - timezone.now()).total_seconds() if near else 0
    if wait > 0:
        _sleep(wait)
    put_back = {pk for pk, _due, _network in far}
    return [pk for pk in publication_ids if pk not in put_back]


def _claim(publication_ids: list[UUID], started: datetime) -> list[UUID]:
    """Take the due, queued ones for this attempt; those another worker has are skipped.

    The claim names this worker process and beats for it in the same transaction, so a
    claim is never older than its worker's last beat (``heartbeat``).
    """
    if not publication_ids:
        return []
    heartbeat.ensure_beating()
    worker = heartbeat.worker_id()
    with transaction.atomic():
        mine = list(
            Publication.objects.select_for_update(skip_locked=True)
            .filter(pk__in=publication_ids, state=P.QUEUED, next_attempt_at__lte=started)
            .values_list("pk", flat=True)
        )
        if mine:
            heartbeat.worker_heartbeat_record(worker=worker, now=started)
            outbox.move_all(
                Publication.objects.filter(pk__in=mine),
                source=P.QUEUED,
                target=P.SENDING,
                claimed_at=started,
                claimed_by=worker,
                attempts=F("attempts") + 1,
            )
    return mine


def publication_send(*, publication_id: UUID | str) -> PublicationState:
    """Claim, send and record one publication. Safe to call twice for the same id."""
    pk = UUID(str(publication_id))
    return publications_send(publication_ids=[pk])[pk]


def publications_send(*, publication_ids: Sequence[UUID | str]) -> dict[UUID, PublicationState]:
    """Claim, send and record a batch of publications (the tick groups those of one server
    due at the same moment); each one's state afterwards. Safe to call twice for any id.

    The claim requires the due time to have come, so nothing is sent early whatever the
    broker does. The payloads are stored before any send; the network calls then run at
    once on the process's send threads (which never touch the database), so that a batch
    goes out as fast as its slowest post; what they change in the database is written
    together at the end (one transaction for the attempts, one editorial call for the
    posts that ended), which is where a send's cost was.
    """
    ids = list(dict.fromkeys(UUID(str(i)) for i in publication_ids))
    ready = _wait_until_due(ids)
    states: dict[UUID, PublicationState] = {}
    started = timezone.now()
    clock = send_threads.monotonic()
    publications = _claimed(_claim(ready, started))
    sessions: list[tuple[int, str]] = []
    jobs = _jobs(publications, started, states, sessions)
    _send_and_record(jobs, started, clock, states, sessions)
    ended = {p.post_id for p in publications if states.get(p.pk) in (P.PUBLISHED, P.FAILED)}
    if ended:
        finish_posts_if_done(ended)
    # Not claimed here: someone else has it, it is done, or it went back to the broker.
    missing = [pk for pk in ids if pk not in states]
    if missing:
        states.update(
            (pk, PublicationState(state))
            for pk, state in Publication.objects.filter(pk__in=missing).values_list("pk", "state")
        )
    return states


def _claimed(pks: list[UUID]) -> list[Publication]:
    """The claimed publications, with what building their posts reads."""
    return list(
        Publication.objects.select_related("account", "post__current_revision")
        .prefetch_related("post__current_revision__media")
        .filter(pk__in=pks)
        .order_by("post_id", "account_id", "part")
    )


def _jobs(
    publications: list[Publication],
    started: datetime,
    states: dict[UUID, PublicationState],
    sessions: list[tuple[int, str]],
) -> list[Job]:
    """One job per publication whose post and payload could be built (the others are
    recorded as failed, their state in ``states``); payloads stored before any send."""
    posts = outgoing_posts(publications, started, states)
    look_first = _unknown_outcomes(publications)
    buildable = [p for p in publications if p.pk in posts]
    jobs: list[Job] = []
    for publication, failed in with_payloads(buildable, posts, started):
        if failed is not None:
            states[publication.pk] = failed
            continue
        try:
            jobs.append(
                _job(publication, posts[publication.pk], publication.pk in look_first, sessions)
            )
        except Exception as exc:
            states[publication.pk] = attempt_failed(publication, started, exc)
    return jobs


def _send_and_record(
    jobs: list[Job],
    started: datetime,
    clock: float,
    states: dict[UUID, PublicationState],
    sessions: list[tuple[int, str]],
) -> None:
    """Run the jobs on the send threads, then record each outcome in ``states``: failures
    one by one, the sessions the adapters renewed, the unsent handed back, the successes
    together."""
    sent: list[Sent] = []
    unsent: list[Publication] = []
    for job, outcome in zip(jobs, send_threads.run_jobs(jobs, clock), strict=True):
        if isinstance(outcome, Sent):
            sent.append(outcome)
        elif isinstance(outcome, OutOfTime):
            unsent.append(job.publication)
        else:
            states[job.publication.pk] = attempt_failed(job.publication, started, outcome)
    for account_id, session in sessions:
        social_account_store_session(account_id=account_id, session=session)
    if unsent:
        states.update(_release(unsent, started))
    if sent:
        recorded = record_successes(sent, started)
        states.update((pk, P.PUBLISHED) for pk in recorded)


def _job(
    publication: Publication,
    post: OutgoingPost,
    look_first: bool,
    sessions: list[tuple[int, str]],
) -> Job:
    account_id = publication.account_id

    def keep(session: str) -> None:
        sessions.append((account_id, session))  # stored by the caller, off the send thread

    return Job(
        publication=publication,
        adapter=adapter_for(publication.account, on_session_change=keep),
        credentials=credentials_of(publication.account),
        payload=PreparedPayload(data=publication.payload or {}),
        post=post,
        look_first=look_first,
    )


def _unknown_outcomes(publications: list[Publication]) -> set[UUID]:
    """Those with an earlier attempt whose outcome is unknown: they are looked up first.
    A first attempt has no earlier one, so most batches ask nothing."""
    retried = [p.pk for p in publications if p.attempts > 1]
    if not retried:
        return set()
    return set(
        Attempt.objects.filter(
            publication_id__in=retried, outcome=Attempt.Outcome.UNKNOWN
        ).values_list("publication_id", flat=True)
    )


def _release(publications: list[Publication], started: datetime) -> dict[UUID, PublicationState]:
    """Hand back unsent publications of a batch that ran out of time: pending again, as if
    never claimed (no attempt was made), for the next tick to queue."""
    mine = [p.pk for p in publications]
    outbox.move_all(
        Publication.objects.filter(pk__in=mine),
        source=P.SENDING,
        target=P.PENDING,
        claim=started,
        next_attempt_at=timezone.now(),
        attempts=F("attempts") - 1,
    )
    logger.warning("Batch out of time: %s publications handed back unsent", len(mine))
    return dict.fromkeys(mine, P.PENDING)

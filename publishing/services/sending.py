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
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, JSONField, Value, When
from django.utils import timezone

from accounts.crypto import CredentialsError
from accounts.services import social_account_needs_reconnection, social_account_store_session
from publishing.adapters.base import (
    MediaItem,
    OutgoingPost,
    PreparedPayload,
    PublishError,
    Reason,
    ReplyRef,
)
from publishing.models import Attempt, Publication, PublicationState
from publishing.services import heartbeat, send_threads
from publishing.services.common import P, adapter_for, credentials_of, finish_posts_if_done
from publishing.services.scheduler import enqueue
from publishing.services.send_threads import Job, OutOfTime, Sent

logger = logging.getLogger(__name__)

# Replaced by the tests, which move a frozen clock instead of sleeping.
_sleep = time.sleep


def _backoff(attempt: int, retry_after: float | None) -> timedelta:
    base = min(settings.PUBLISH_RETRY_BASE_SECONDS * 2 ** (attempt - 1), 15 * 60)
    delay = max(base * random.uniform(0.8, 1.2), retry_after or 0)  # noqa: S311 (jitter)
    return timedelta(seconds=delay)


def _outgoing_posts(
    publications: list[Publication], started: datetime, states: dict[UUID, PublicationState]
) -> dict[UUID, OutgoingPost]:
    """Each publication's post, built once per attempt: prepare and publish both need it,
    and it reads the images from storage and the thread's reply references from the
    database. One that cannot be built is recorded as failed (its state in ``states``)."""
    posts: dict[UUID, OutgoingPost] = {}
    for publication in publications:
        try:
            posts[publication.pk] = _outgoing(publication)
        except Exception as exc:
            states[publication.pk] = _failed(publication, started, exc)
    return posts


def _outgoing(publication: Publication) -> OutgoingPost:
    revision = publication.post.current_revision
    media: list[MediaItem] = []
    # The images go with the thread's first part.
    if revision is not None and publication.part == 0:
        for m in revision.media.all():
            with m.file.open("rb") as fh:
                media.append(
                    MediaItem(
                        data=fh.read(),
                        mime_type=m.mime_type,
                        alt_text=m.alt_text,
                        filename=m.file.name,
                        focus=m.focus,
                    )
                )
    reply = _reply_ref(publication)
    if revision is None:
        return OutgoingPost(text=publication.text, language=publication.language, reply=reply)
    return OutgoingPost(
        text=publication.text,
        language=publication.language,
        media=tuple(media),
        visibility=revision.mastodon_visibility,
        spoiler_text=revision.spoiler_text,
        sensitive=revision.sensitive,
        self_label=revision.bluesky_label,
        reply_gate=revision.reply_gate,
        reply=reply,
    )


def _reply_ref(publication: Publication) -> ReplyRef | None:
    """For a later part of a thread: the published first part and the part just before."""
    if publication.part == 0:
        return None
    siblings = {
        p.part: p
        for p in Publication.objects.filter(
            post_id=publication.post_id,
            account_id=publication.account_id,
            part__in=[0, publication.part - 1],
            state=P.PUBLISHED,
        )
    }
    root, parent = siblings.get(0), siblings.get(publication.part - 1)
    if root is None or parent is None:
        # Released only after its predecessor was published: this is a bug, not the network.
        raise PublishError("The previous part of the thread is not published.", permanent=True)
    return ReplyRef(
        root_id=root.remote_id,
        parent_id=parent.remote_id,
        root_cid=root.remote_cid,
        parent_cid=parent.remote_cid,
    )


def release_next_part(publication: Publication, now: datetime) -> None:
    """The part after a published one may go now: it replies to it."""
    Publication.objects.filter(
        post_id=publication.post_id,
        account_id=publication.account_id,
        part=publication.part + 1,
        state=P.WAITING,
    ).update(state=P.PENDING, next_attempt_at=now)


def _abandon_later_parts(
    publication: Publication, error: str, reason: str, params: dict[str, Any]
) -> None:
    """A part that failed for good takes the parts after it along: they can only reply to it."""
    Publication.objects.filter(
        post_id=publication.post_id,
        account_id=publication.account_id,
        part__gt=publication.part,
        state=P.WAITING,
    ).update(
        state=P.FAILED,
        last_error=f"Not sent: part {publication.part + 1} of the thread failed ({error}).",
        # The earlier part's reason is theirs too: what fixes it fixes them.
        last_error_reason=reason,
        last_error_params={**params, "after_part": publication.part + 1},
    )


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
                transaction.on_commit(partial(enqueue, [pk], due, network))
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
            Publication.objects.filter(pk__in=mine).update(
                state=P.SENDING, claimed_at=started, claimed_by=worker, attempts=F("attempts") + 1
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
    claimed = _claim(ready, started)
    publications = list(
        Publication.objects.select_related("account", "post__current_revision")
        .prefetch_related("post__current_revision__media")
        .filter(pk__in=claimed)
        .order_by("post_id", "account_id", "part")
    )
    posts = _outgoing_posts(publications, started, states)
    jobs: list[Job] = []
    sessions: list[tuple[int, str]] = []
    look_first = _unknown_outcomes(publications)
    buildable = [p for p in publications if p.pk in posts]
    for publication, failed in _with_payloads(buildable, posts, started):
        if failed is not None:
            states[publication.pk] = failed
            continue
        try:
            jobs.append(
                _job(publication, posts[publication.pk], publication.pk in look_first, sessions)
            )
        except Exception as exc:
            states[publication.pk] = _failed(publication, started, exc)
    sent: list[Sent] = []
    unsent: list[Publication] = []
    for job, outcome in zip(jobs, send_threads.run_jobs(jobs, clock), strict=True):
        if isinstance(outcome, Sent):
            sent.append(outcome)
        elif isinstance(outcome, OutOfTime):
            unsent.append(job.publication)
        else:
            states[job.publication.pk] = _failed(job.publication, started, outcome)
    for account_id, session in sessions:
        social_account_store_session(account_id=account_id, session=session)
    if unsent:
        states.update(_release(unsent, started))
    if sent:
        _record_successes(sent, started)
        states.update((item.publication.pk, P.PUBLISHED) for item in sent)
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
    Publication.objects.filter(pk__in=mine, state=P.SENDING, claimed_at=started).update(
        state=P.PENDING, next_attempt_at=timezone.now(), attempts=F("attempts") - 1
    )
    logger.warning("Batch out of time: %s publications handed back unsent", len(mine))
    return dict.fromkeys(mine, P.PENDING)


def _failed(publication: Publication, started: datetime, exc: Exception) -> PublicationState:
    """Record a failed attempt, in words, with its retry or its end."""
    if isinstance(exc, CredentialsError):
        # The stored secret cannot be read (keys changed): connecting again stores a new one.
        return _record_failure(
            publication, started, str(exc), permanent=True, reason=Reason.NEEDS_RECONNECTION
        )
    if isinstance(exc, PublishError):
        if exc.needs_reconnection:
            social_account_needs_reconnection(
                account_id=publication.account_id,
                reason=exc.message,
                missing_scopes=exc.missing_scopes,
            )
        return _record_failure(
            publication,
            started,
            exc.message,
            permanent=exc.permanent,
            retry_after=exc.retry_after,
            maybe_sent=exc.maybe_sent,
            reason=exc.reason_code,
            params=exc.params,
        )
    # A bug or an unmapped library error: keep the row alive and retry with backoff, bounded
    # by PUBLISH_MAX_ATTEMPTS, rather than lose the post. Whether it was sent is unknown, so
    # the next attempt looks first.
    logger.error("Unexpected error publishing %s", publication.pk, exc_info=exc)
    return _record_failure(
        publication,
        started,
        f"Unexpected error: {exc!r}",
        permanent=False,
        maybe_sent=True,
        reason=Reason.UNKNOWN,
    )


def _with_payloads(
    publications: list[Publication], posts: dict[UUID, OutgoingPost], started: datetime
) -> list[tuple[Publication, PublicationState | None]]:
    """Build and store the payload of those sent for the first time, all before any send.

    Stored (and committed) before the first send: every retry sends exactly this. A
    publication whose payload cannot be built comes back with the state its failure left.
    """
    failed: dict[UUID, PublicationState] = {}
    built: dict[UUID, dict[str, Any]] = {}
    for publication in publications:
        if publication.payload is not None:
            continue
        try:
            prepared = adapter_for(publication.account).prepare(
                credentials_of(publication.account),
                posts[publication.pk],
                idempotency_key=str(publication.pk),
            )
        except Exception as exc:
            failed[publication.pk] = _failed(publication, started, exc)
            continue
        built[publication.pk] = prepared.data
    if built:
        json = JSONField()
        stored = Publication.objects.filter(pk__in=built, payload__isnull=True).update(
            payload=Case(
                *(When(pk=pk, then=Value(data, output_field=json)) for pk, data in built.items()),
                output_field=json,
            )
        )
        if stored != len(built):
            # Another attempt stored some payloads first: send those, never a second one.
            rows = Publication.objects.filter(pk__in=built).values_list("pk", "payload")
            built = {pk: payload for pk, payload in rows if payload is not None}
        for publication in publications:
            if publication.pk in built:
                publication.payload = built[publication.pk]
    return [(p, failed.get(p.pk)) for p in publications]


def _record_successes(sent: list[Sent], started: datetime) -> None:
    # One transaction (one commit) for the batch. A plain update per row: Django's
    # bulk_update compiles a CASE per field and row, which measured slower than the rows.
    with transaction.atomic():
        for item in sent:
            Publication.objects.filter(pk=item.publication.pk).update(
                state=P.PUBLISHED,
                remote_id=item.ref.remote_id,
                remote_url=item.ref.url,
                remote_cid=str(item.ref.extra.get("cid", "")),
                published_at=item.acknowledged,
                last_error="",
                last_error_reason="",
                last_error_params={},
            )
            revision = item.publication.post.current_revision
            if revision is not None and revision.thread:
                release_next_part(item.publication, item.acknowledged)
        Attempt.objects.bulk_create(
            Attempt(
                publication=item.publication,
                number=item.publication.attempts,
                outcome=Attempt.Outcome.PUBLISHED,
                started_at=started,
                acknowledged_at=item.acknowledged,
                found_by_lookup=item.found,
            )
            for item in sent
        )


def _record_failure(
    publication: Publication,
    started: datetime,
    error: str,
    *,
    permanent: bool,
    retry_after: float | None = None,
    maybe_sent: bool = False,
    reason: Reason = Reason.UNKNOWN,
    params: dict[str, Any] | None = None,
) -> PublicationState:
    give_up = permanent or publication.attempts >= settings.PUBLISH_MAX_ATTEMPTS
    state = P.FAILED if give_up else P.PENDING
    outcome = Attempt.Outcome.PERMANENT if permanent else Attempt.Outcome.TRANSIENT
    if maybe_sent and not permanent:
        outcome = Attempt.Outcome.UNKNOWN
    with transaction.atomic():
        fields: dict[str, Any] = {
            "state": state,
            "last_error": error,
            "last_error_reason": reason.value,
            "last_error_params": params or {},
        }
        if not give_up:
            fields["next_attempt_at"] = timezone.now() + _backoff(publication.attempts, retry_after)
        # Only while the claim is still this attempt's: a worker that hung past the stale
        # limit finds its publication reclaimed, perhaps claimed and being sent by another
        # worker, and its late failure must neither reschedule nor fail that send.
        still_ours = Publication.objects.filter(
            pk=publication.pk, state=P.SENDING, claimed_at=started
        ).update(**fields)
        Attempt.objects.create(
            publication=publication,
            number=publication.attempts,
            outcome=outcome,
            error=error,
            started_at=started,
        )
    logger.warning(
        "Publication %s attempt %s failed (%s): %s",
        publication.pk,
        publication.attempts,
        outcome,
        error,
    )
    if not still_ours:
        return PublicationState(Publication.objects.get(pk=publication.pk).state)
    if give_up:
        _abandon_later_parts(publication, error, reason.value, params or {})
    return state

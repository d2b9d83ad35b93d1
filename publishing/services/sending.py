"""The single send path: the only place that talks to a network and records an attempt
(healthchecks' ``Channel.notify`` idea). Safe to run twice for one publication: the claim
is a conditional update and the stored payload is idempotent on the network side.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.crypto import CredentialsError
from accounts.services import social_account_needs_reconnection
from publishing.adapters.base import (
    Adapter,
    MediaItem,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
    PublishError,
    ReplyRef,
)
from publishing.models import Attempt, Publication, PublicationState
from publishing.services.common import P, adapter_for, credentials_of, finish_post_if_done
from publishing.services.scheduler import enqueue

logger = logging.getLogger(__name__)

# Replaced by the tests, which move a frozen clock instead of sleeping.
_sleep = time.sleep


def _backoff(attempt: int, retry_after: float | None) -> timedelta:
    base = min(settings.PUBLISH_RETRY_BASE_SECONDS * 2 ** (attempt - 1), 15 * 60)
    delay = max(base * random.uniform(0.8, 1.2), retry_after or 0)  # noqa: S311 (jitter)
    return timedelta(seconds=delay)


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


def _abandon_later_parts(publication: Publication, error: str) -> None:
    """A part that failed for good takes the parts after it along: they can only reply to it."""
    Publication.objects.filter(
        post_id=publication.post_id,
        account_id=publication.account_id,
        part__gt=publication.part,
        state=P.WAITING,
    ).update(
        state=P.FAILED,
        last_error=f"Not sent: part {publication.part + 1} of the thread failed ({error}).",
    )


def _wait_until_due(publication_id: UUID | str) -> bool:
    """Never send before the due time: wait for it when it is close, else queue again.

    The broker normally delivers at the ETA; a message can still come early (a redelivery,
    a worker clock slightly ahead of beat's). Waiting is bounded by the lookahead plus a
    second for the tick itself; anything further off goes back to the broker with its ETA.
    False means the message was put back and this delivery must do nothing.
    """
    row = (
        Publication.objects.filter(pk=publication_id, state=P.QUEUED)
        .values_list("next_attempt_at", "account__network")
        .first()
    )
    if row is None:
        return True  # not queued: the claim will find out who has it
    due, network = row
    wait = (due - timezone.now()).total_seconds()
    if wait <= 0:
        return True
    if wait <= settings.PUBLISH_LOOKAHEAD_SECONDS + 1:
        _sleep(wait)
        return True
    with transaction.atomic():
        if Publication.objects.filter(pk=publication_id, state=P.QUEUED).update(
            queued_at=timezone.now()
        ):
            transaction.on_commit(partial(enqueue, UUID(str(publication_id)), due, network))
    return False


def publication_send(*, publication_id: UUID | str) -> PublicationState:
    """Claim, send and record one publication. Safe to call twice for the same id.

    The claim requires the due time to have come, so nothing is sent early whatever the
    broker does.
    """
    if not _wait_until_due(publication_id):
        return P.QUEUED
    started = timezone.now()
    claimed = Publication.objects.filter(
        pk=publication_id, state=P.QUEUED, next_attempt_at__lte=started
    ).update(state=P.SENDING, claimed_at=started, attempts=F("attempts") + 1)
    if not claimed:
        # Someone else has it (or it is done): report its state, send nothing.
        return PublicationState(Publication.objects.get(pk=publication_id).state)
    publication = Publication.objects.select_related("account", "post__current_revision").get(
        pk=publication_id
    )
    try:
        ref, found = _send(adapter_for(publication.account), publication)
        # The moment the server acknowledged the post: what lateness is measured against.
        acknowledged = timezone.now()
    except CredentialsError as exc:
        return _record_failure(publication, started, str(exc), permanent=True)
    except PublishError as exc:
        if exc.needs_reconnection:
            social_account_needs_reconnection(account_id=publication.account_id, reason=exc.message)
        return _record_failure(
            publication,
            started,
            exc.message,
            permanent=exc.permanent,
            retry_after=exc.retry_after,
            maybe_sent=exc.maybe_sent,
        )
    except Exception as exc:
        # A bug or an unmapped library error: keep the row alive and retry with backoff,
        # bounded by PUBLISH_MAX_ATTEMPTS, rather than lose the post. Whether it was sent is
        # unknown, so the next attempt looks first.
        logger.exception("Unexpected error publishing %s", publication.pk)
        return _record_failure(
            publication, started, f"Unexpected error: {exc!r}", permanent=False, maybe_sent=True
        )
    return _record_success(publication, started, acknowledged, ref, found=found)


def _record_success(
    publication: Publication,
    started: datetime,
    acknowledged: datetime,
    ref: PublishedRef,
    *,
    found: bool,
) -> PublicationState:
    with transaction.atomic():
        Publication.objects.filter(pk=publication.pk).update(
            state=P.PUBLISHED,
            remote_id=ref.remote_id,
            remote_url=ref.url,
            remote_cid=str(ref.extra.get("cid", "")),
            published_at=acknowledged,
            last_error="",
        )
        revision = publication.post.current_revision
        if revision is not None and revision.thread:
            release_next_part(publication, acknowledged)
        Attempt.objects.create(
            publication=publication,
            number=publication.attempts,
            outcome=Attempt.Outcome.PUBLISHED,
            started_at=started,
            acknowledged_at=acknowledged,
            found_by_lookup=found,
        )
    finish_post_if_done(publication.post_id)
    return P.PUBLISHED


def _send(adapter: Adapter, publication: Publication) -> tuple[PublishedRef, bool]:
    """Publish the stored payload; the ref, and True when a lookup found it (nothing sent).

    After an unknown outcome (any earlier attempt whose request may have reached the
    server), the post is looked up before anything is sent again.
    """
    credentials = credentials_of(publication.account)
    post = _outgoing(publication)
    if publication.payload is None:
        prepared = adapter.prepare(credentials, post, idempotency_key=str(publication.pk))
        # Stored (and committed) before the first send: every retry sends exactly this.
        if Publication.objects.filter(pk=publication.pk, payload__isnull=True).update(
            payload=prepared.data
        ):
            publication.payload = prepared.data
        else:
            # Another attempt stored its payload first: send that one, never a second.
            publication.refresh_from_db(fields=["payload"])
    payload = PreparedPayload(data=publication.payload or {})
    # On a first attempt there is no earlier one whose outcome could be unknown.
    if (
        publication.attempts > 1
        and publication.attempt_log.filter(outcome=Attempt.Outcome.UNKNOWN).exists()
    ):
        found = adapter.lookup(credentials, payload)
        if found is not None:
            return found, True
    return adapter.publish(credentials, payload, post), False


def _record_failure(
    publication: Publication,
    started: datetime,
    error: str,
    *,
    permanent: bool,
    retry_after: float | None = None,
    maybe_sent: bool = False,
) -> PublicationState:
    give_up = permanent or publication.attempts >= settings.PUBLISH_MAX_ATTEMPTS
    state = P.FAILED if give_up else P.PENDING
    outcome = Attempt.Outcome.PERMANENT if permanent else Attempt.Outcome.TRANSIENT
    if maybe_sent and not permanent:
        outcome = Attempt.Outcome.UNKNOWN
    with transaction.atomic():
        fields: dict[str, Any] = {"state": state, "last_error": error}
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
        _abandon_later_parts(publication, error)
        finish_post_if_done(publication.post_id)
    return state

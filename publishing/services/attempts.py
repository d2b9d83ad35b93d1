"""Recording an attempt's outcome: the publication's new state and its ``Attempt`` row, the
retry time (backoff) or the end, and what follows for the other parts of a thread."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.crypto import CredentialsError
from accounts.services import social_account_needs_reconnection
from publishing import outbox
from publishing.adapters.base import PublishError, Reason
from publishing.models import Attempt, Publication, PublicationState
from publishing.services.send_threads import Sent

logger = logging.getLogger(__name__)

P = PublicationState


def backoff(attempt: int, retry_after: float | None) -> timedelta:
    base = min(settings.PUBLISH_RETRY_BASE_SECONDS * 2 ** (attempt - 1), 15 * 60)
    delay = max(base * random.uniform(0.8, 1.2), retry_after or 0)  # noqa: S311 (jitter)
    return timedelta(seconds=delay)


def release_next_part(publication: Publication, now: datetime) -> None:
    """The part after a published one may go now: it replies to it."""
    outbox.move_all(
        Publication.objects.filter(
            post_id=publication.post_id,
            account_id=publication.account_id,
            part=publication.part + 1,
        ),
        source=P.WAITING,
        target=P.PENDING,
        next_attempt_at=now,
    )


def _abandon_later_parts(
    publication: Publication, error: str, reason: str, params: dict[str, Any]
) -> None:
    """A part that failed for good takes the parts after it along: they can only reply to it."""
    outbox.move_all(
        Publication.objects.filter(
            post_id=publication.post_id,
            account_id=publication.account_id,
            part__gt=publication.part,
        ),
        source=P.WAITING,
        target=P.FAILED,
        last_error=f"Not sent: part {publication.part + 1} of the thread failed ({error}).",
        # The earlier part's reason is theirs too: what fixes it fixes them.
        last_error_reason=reason,
        last_error_params={**params, "after_part": publication.part + 1},
    )


def attempt_failed(publication: Publication, started: datetime, exc: Exception) -> PublicationState:
    """Record a failed attempt, in words, with its retry or its end."""
    if isinstance(exc, CredentialsError):
        # The stored secret cannot be read (keys changed): connecting again stores a new one.
        return record_failure(
            publication, started, str(exc), permanent=True, reason=Reason.NEEDS_RECONNECTION
        )
    if isinstance(exc, PublishError):
        if exc.needs_reconnection:
            social_account_needs_reconnection(
                account_id=publication.account_id,
                reason=exc.message,
                missing_scopes=exc.missing_scopes,
            )
        return record_failure(
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
    return record_failure(
        publication,
        started,
        f"Unexpected error: {exc!r}",
        permanent=False,
        maybe_sent=True,
        reason=Reason.UNKNOWN,
    )


def record_successes(sent: list[Sent], started: datetime) -> set[UUID]:
    """Record the batch's sends; returns the publications moved to published: those whose
    claim is still this attempt's. The server has the others too, but the sweeper took them
    back (this worker hung past the stale limit): their new claimant looks them up first and
    records them, so this late success must not write over its claim. Every send still gets
    its ``Attempt``: it happened."""
    # One transaction (one commit) for the batch. A plain update per row: Django's
    # bulk_update compiles a CASE per field and row, which measured slower than the rows.
    recorded: set[UUID] = set()
    with transaction.atomic():
        for item in sent:
            if not _move_published(item, started):
                continue
            recorded.add(item.publication.pk)
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
    return recorded


def _move_published(item: Sent, started: datetime) -> bool:
    """Move one sent publication to published, with its remote reference, if this attempt's
    claim still holds it."""
    return outbox.move(
        item.publication.pk,
        source=P.SENDING,
        target=P.PUBLISHED,
        claim=started,
        remote_id=item.ref.remote_id,
        remote_url=item.ref.url,
        remote_cid=str(item.ref.extra.get("cid", "")),
        published_at=item.acknowledged,
        last_error="",
        last_error_reason="",
        last_error_params={},
    )


def _outcome(*, permanent: bool, maybe_sent: bool) -> Attempt.Outcome:
    if permanent:
        return Attempt.Outcome.PERMANENT
    # The request may have reached the server: the next attempt looks the post up first.
    return Attempt.Outcome.UNKNOWN if maybe_sent else Attempt.Outcome.TRANSIENT


def record_failure(
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
    outcome = _outcome(permanent=permanent, maybe_sent=maybe_sent)
    fields: dict[str, Any] = {
        "last_error": error,
        "last_error_reason": reason.value,
        "last_error_params": params or {},
    }
    if not give_up:
        fields["next_attempt_at"] = timezone.now() + backoff(publication.attempts, retry_after)
    still_ours = _record_failed_attempt(
        publication, started, error=error, state=state, outcome=outcome, fields=fields
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


def _record_failed_attempt(
    publication: Publication,
    started: datetime,
    *,
    error: str,
    state: PublicationState,
    outcome: Attempt.Outcome,
    fields: dict[str, Any],
) -> bool:
    """The move and the attempt's row, together; False when the claim was no longer ours."""
    with transaction.atomic():
        # Only while the claim is still this attempt's: a worker that hung past the stale
        # limit finds its publication reclaimed, perhaps claimed and being sent by another
        # worker, and its late failure must neither reschedule nor fail that send.
        still_ours = outbox.move(
            publication.pk, source=P.SENDING, target=state, claim=started, **fields
        )
        Attempt.objects.create(
            publication=publication,
            number=publication.attempts,
            outcome=outcome,
            error=error,
            started_at=started,
        )
    return still_ours

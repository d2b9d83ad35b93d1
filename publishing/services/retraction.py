"""Deleting a retracted post from the networks it reached.

Editorial's ``post_retract`` only changes the post's state; the tick notices retracted posts
whose publications are still online and queues one deletion per publication. Deletions are
idempotent on both networks (Mastodon answers 404 for a deleted status, which counts as done;
Bluesky's deleteRecord succeeds on a missing record), so a redelivered task or a reclaimed
claim can only delete what is already gone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.crypto import CredentialsError
from accounts.services import social_account_needs_reconnection
from editorial.models import PostState
from editorial.services import post_record_remote_deletion
from publishing import outbox
from publishing.adapters.base import PublishError
from publishing.models import Attempt, DeletionState, Publication, PublicationState
from publishing.services.attempts import backoff
from publishing.services.broker import enqueue_deletion
from publishing.services.network import adapter_for, credentials_of

logger = logging.getLogger(__name__)

D = DeletionState
BATCH = 100

# How a deletion attempt's row in the attempt log begins (the sends' rows never do).
DELETION_ATTEMPT = "Deletion: "


def deletions_to_request() -> QuerySet[Publication]:
    """Published publications of a retracted post, not yet marked for deletion."""
    return Publication.objects.filter(
        post__state=PostState.RETRACTED, state=PublicationState.PUBLISHED, deletion_state=D.NONE
    )


def due_deletions(now: datetime) -> QuerySet[Publication]:
    return Publication.objects.filter(deletion_state=D.PENDING, deletion_next_at__lte=now).order_by(
        "deletion_next_at"
    )


def request_deletions(*, now: datetime) -> int:
    """Mark for deletion every published publication of a retracted post (once)."""
    return outbox.move_all(
        deletions_to_request(),
        source=D.NONE,
        target=D.PENDING,
        deletion_next_at=now,
    )


def queue_deletions(*, now: datetime) -> list[UUID]:
    queued: list[UUID] = []
    due = list(due_deletions(now).values_list("pk", "account__network")[:BATCH])
    for pk, network in due:
        with transaction.atomic():
            # Conditional update: if no row changed, another tick or worker has it.
            if outbox.move(
                pk,
                source=D.PENDING,
                target=D.DELETING,
                deletion_claimed_at=now,
                deletion_attempts=F("deletion_attempts") + 1,
            ):
                enqueue_deletion(pk, network)  # on commit (the tasks' base)
                queued.append(pk)
    return queued


def publication_delete(*, publication_id: UUID | str) -> str:
    """Delete one claimed publication on its network and record the answer."""
    publication = (
        Publication.objects.select_related("account")
        .filter(pk=publication_id, deletion_state=D.DELETING)
        .first()
    )
    if publication is None:
        return "not-claimed"  # done, or reclaimed by the sweeper: nothing to do here
    try:
        adapter_for(publication.account).delete(
            credentials_of(publication.account), publication.remote_id
        )
    except CredentialsError as exc:
        return _record(publication, error=str(exc), permanent=True)
    except PublishError as exc:
        if exc.needs_reconnection:
            social_account_needs_reconnection(account_id=publication.account_id, reason=exc.message)
        return _record(
            publication, error=exc.message, permanent=exc.permanent, retry_after=exc.retry_after
        )
    except Exception as exc:
        logger.exception("Unexpected error deleting %s", publication.pk)
        return _record(publication, error=f"Unexpected error: {exc!r}", permanent=False)
    return _record(publication, error="", permanent=False, deleted=True)


def _record(
    publication: Publication,
    *,
    error: str,
    permanent: bool,
    retry_after: float | None = None,
    deleted: bool = False,
) -> str:
    now = timezone.now()
    give_up = not deleted and (
        permanent or publication.deletion_attempts >= settings.PUBLISH_MAX_ATTEMPTS
    )
    target, fields = _deletion_move(
        publication, now, error, retry_after=retry_after, deleted=deleted, give_up=give_up
    )
    with transaction.atomic():
        # Only while the claim is still this attempt's (as a send's): a worker that hung
        # past PUBLISH_DELETION_STALE_SECONDS finds its deletion claimed again by another.
        changed = outbox.move(
            publication.pk,
            source=D.DELETING,
            target=target,
            claim=publication.deletion_claimed_at,
            **fields,
        )
        if error:
            _log_failed_attempt(publication, now, error, permanent=permanent)
        if changed and (deleted or give_up):
            # The post's record says, per account, whether it is gone (or why not).
            post_record_remote_deletion(
                post_id=publication.post_id,
                account=str(publication.account),
                part=publication.part,
                deleted=deleted,
                error=error,
            )
    if error:
        logger.warning("Deleting publication %s failed: %s", publication.pk, error)
    return str(target)


def _deletion_move(
    publication: Publication,
    now: datetime,
    error: str,
    *,
    retry_after: float | None,
    deleted: bool,
    give_up: bool,
) -> tuple[DeletionState, dict[str, Any]]:
    """Where an attempt's answer moves the deletion, and what it writes with the move."""
    if deleted:
        return D.DELETED, {"deleted_at": now, "deletion_error": ""}
    if give_up:
        return D.FAILED, {"deletion_error": error}
    next_at = now + backoff(publication.deletion_attempts, retry_after)
    return D.PENDING, {"deletion_error": error, "deletion_next_at": next_at}


def _log_failed_attempt(
    publication: Publication, now: datetime, error: str, *, permanent: bool
) -> None:
    """A failed deletion attempt joins the publication's attempt log, as a send's does,
    marked as a deletion in its words. A deletion that succeeds is recorded on the row
    (``deleted_at``) and in the post's audit trail: ``Attempt.Outcome`` has no value for it,
    and adding one would be a schema change."""
    Attempt.objects.create(
        publication=publication,
        # After the sends' attempts: the log reads in order (a published post is never
        # sent again, so no send attempt comes after).
        number=publication.attempts + publication.deletion_attempts,
        outcome=Attempt.Outcome.PERMANENT if permanent else Attempt.Outcome.TRANSIENT,
        error=f"{DELETION_ATTEMPT}{error}",
        started_at=publication.deletion_claimed_at or now,
    )

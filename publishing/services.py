"""The scheduler and the single send path.

``tick`` is the only place that starts publications; ``publication_send`` is the only place
that talks to a network and records an attempt (healthchecks' ``Channel.notify`` idea).
Claims are conditional updates, so two ticks or two workers never both act on one row.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import ConcurrentTransition

from accounts.crypto import CredentialsError
from accounts.models import SocialAccount
from accounts.services import social_account_set_limits, social_account_store_session
from charter.snapshot import with_byline
from editorial.models import Post, PostState
from editorial.services import post_record_outcome, post_start_publishing
from publishing.adapters import MastodonAdapter, get_adapter
from publishing.adapters.base import Credentials, MediaItem, OutgoingPost, PublishError
from publishing.models import Attempt, Publication, PublicationState

logger = logging.getLogger(__name__)

P = PublicationState
# A queued message not picked up by then is considered lost and enqueued again; a claim older
# than SENDING_STALE means the worker died mid-send. Both are safe because the payload is
# idempotent on the network side.
QUEUE_STALE = timedelta(minutes=2)
SENDING_STALE = timedelta(minutes=5)
BATCH = 100


@dataclass(frozen=True)
class TickResult:
    started_posts: int
    queued: list[UUID]
    reclaimed: int


def tick(*, now: datetime | None = None) -> TickResult:
    now = now or timezone.now()
    started = _start_due_posts(now)
    reclaimed = _reclaim_stale(now)
    _finish_orphaned_posts()
    queued = _queue_due(now)
    return TickResult(started_posts=started, queued=queued, reclaimed=reclaimed)


def _start_due_posts(now: datetime) -> int:
    started = 0
    with transaction.atomic():
        # skip_locked: a second beat (or a slow tick) passes over posts another tick holds.
        due = list(
            Post.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("current_revision", "scheduled_by", "unit", "author")
            .filter(state=PostState.SCHEDULED, scheduled_at__lte=now)
            .order_by("scheduled_at")[:BATCH]
        )
        for post in due:
            try:
                with transaction.atomic():
                    post_start_publishing(post=post)
                    _create_publications(post, now)
            except ConcurrentTransition:
                continue  # another tick moved it first (SQLite has no row locks)
            started += 1
    return started


def _create_publications(post: Post, now: datetime) -> None:
    revision = post.current_revision
    assert revision is not None and post.scheduled_by is not None
    bylines: dict[str, str] = post.byline_record.get("bylines", {})
    for account in post.accounts.all():
        byline = bylines.get(str(account.pk), "")
        publication, created = Publication.objects.get_or_create(
            post=post,
            account=account,
            defaults={
                "text": with_byline(revision.text, byline),
                "byline": byline,
                "language": revision.language,
                "byline_record": post.byline_record,
                "scheduled_by": post.scheduled_by,
                "due_at": post.scheduled_at or now,
                "next_attempt_at": now,
            },
        )
        if not created and publication.state == P.FAILED:
            # A human asked for a retry: same row, same payload, same idempotency key.
            Publication.objects.filter(pk=publication.pk).update(
                state=P.PENDING, next_attempt_at=now, last_error=""
            )


def _reclaim_stale(now: datetime) -> int:
    lost_queue = Publication.objects.filter(state=P.QUEUED, queued_at__lt=now - QUEUE_STALE).update(
        state=P.PENDING, next_attempt_at=now
    )
    dead_worker = Publication.objects.filter(
        state=P.SENDING, claimed_at__lt=now - SENDING_STALE
    ).update(state=P.PENDING, next_attempt_at=now)
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
    for post_id in orphaned:
        _finish_post_if_done(post_id)


def _queue_due(now: datetime) -> list[UUID]:
    from publishing import tasks

    queued: list[UUID] = []
    candidates = list(
        Publication.objects.filter(state=P.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for pk in candidates:
        with transaction.atomic():
            # Conditional update: if no row changed, someone else has it.
            if Publication.objects.filter(pk=pk, state=P.PENDING).update(
                state=P.QUEUED, queued_at=now
            ):
                transaction.on_commit(partial(tasks.publish.delay, str(pk)))
                queued.append(pk)
    return queued


def _backoff(attempt: int, retry_after: float | None) -> timedelta:
    base = min(10 * 2 ** (attempt - 1), 15 * 60)
    delay = max(base * random.uniform(0.8, 1.2), retry_after or 0)  # noqa: S311 (jitter)
    return timedelta(seconds=delay)


def _credentials(account: SocialAccount) -> Credentials:
    data = account.get_credentials()
    return Credentials(
        server_url=account.server_url,
        handle=account.handle,
        secret=str(data.get("secret", "")),
        session=account.get_session(),
    )


def _outgoing(publication: Publication) -> OutgoingPost:
    revision = publication.post.current_revision
    media: list[MediaItem] = []
    if revision is not None:
        for m in revision.media.all():
            with m.file.open("rb") as fh:
                media.append(
                    MediaItem(
                        data=fh.read(),
                        mime_type=m.mime_type,
                        alt_text=m.alt_text,
                        filename=m.file.name,
                    )
                )
    return OutgoingPost(text=publication.text, language=publication.language, media=tuple(media))


def publication_send(*, publication_id: UUID | str) -> PublicationState:
    """Claim, send and record one publication. Safe to call twice for the same id."""
    started = timezone.now()
    claimed = Publication.objects.filter(pk=publication_id, state=P.QUEUED).update(
        state=P.SENDING, claimed_at=started, attempts=F("attempts") + 1
    )
    if not claimed:
        # Someone else has it (or it is done): report its state, send nothing.
        return PublicationState(Publication.objects.get(pk=publication_id).state)
    publication = Publication.objects.select_related("account", "post__current_revision").get(
        pk=publication_id
    )
    account = publication.account
    adapter = get_adapter(
        account.network,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
        on_session_change=lambda s: social_account_store_session(account_id=account.pk, session=s),
    )
    try:
        credentials = _credentials(account)
        post = _outgoing(publication)
        if publication.payload is None:
            prepared = adapter.prepare(credentials, post, idempotency_key=str(publication.pk))
            # Stored (and committed) before the first send: every retry sends exactly this.
            Publication.objects.filter(pk=publication.pk, payload__isnull=True).update(
                payload=prepared.data
            )
            publication.refresh_from_db(fields=["payload"])
        from publishing.adapters.base import PreparedPayload

        ref = adapter.publish(credentials, PreparedPayload(data=publication.payload or {}), post)
    except CredentialsError as exc:
        return _record_failure(publication, started, str(exc), permanent=True)
    except PublishError as exc:
        return _record_failure(
            publication, started, exc.message, permanent=exc.permanent, retry_after=exc.retry_after
        )
    except Exception as exc:
        # A bug or an unmapped library error: keep the row alive and retry with backoff,
        # bounded by PUBLISH_MAX_ATTEMPTS, rather than lose the post.
        logger.exception("Unexpected error publishing %s", publication.pk)
        return _record_failure(publication, started, f"Unexpected error: {exc!r}", permanent=False)
    with transaction.atomic():
        Publication.objects.filter(pk=publication.pk).update(
            state=P.PUBLISHED,
            remote_id=ref.remote_id,
            remote_url=ref.url,
            published_at=timezone.now(),
            last_error="",
        )
        Attempt.objects.create(
            publication=publication,
            number=publication.attempts,
            outcome=Attempt.Outcome.PUBLISHED,
            started_at=started,
        )
    _finish_post_if_done(publication.post_id)
    return P.PUBLISHED


def _record_failure(
    publication: Publication,
    started: datetime,
    error: str,
    *,
    permanent: bool,
    retry_after: float | None = None,
) -> PublicationState:
    give_up = permanent or publication.attempts >= settings.PUBLISH_MAX_ATTEMPTS
    state = P.FAILED if give_up else P.PENDING
    with transaction.atomic():
        fields: dict[str, Any] = {"state": state, "last_error": error}
        if not give_up:
            fields["next_attempt_at"] = timezone.now() + _backoff(publication.attempts, retry_after)
        Publication.objects.filter(pk=publication.pk, state=P.SENDING).update(**fields)
        Attempt.objects.create(
            publication=publication,
            number=publication.attempts,
            outcome=Attempt.Outcome.PERMANENT if permanent else Attempt.Outcome.TRANSIENT,
            error=error,
            started_at=started,
        )
    logger.warning(
        "Publication %s attempt %s failed (%s): %s",
        publication.pk,
        publication.attempts,
        "permanent" if permanent else "transient",
        error,
    )
    if give_up:
        _finish_post_if_done(publication.post_id)
    return state


def _finish_post_if_done(post_id: int) -> None:
    publications = list(Publication.objects.filter(post_id=post_id).select_related("account"))
    if not all(p.is_terminal for p in publications):
        return
    published = all(p.state == P.PUBLISHED for p in publications)
    details: dict[str, Any] = {
        "publications": [
            {
                "account": str(p.account),
                "state": p.state,
                "url": p.remote_url,
                "error": p.last_error,
            }
            for p in publications
        ]
    }
    if not published:
        details["error"] = "; ".join(
            f"{p.account}: {p.last_error}" for p in publications if p.state == P.FAILED
        )
    post_record_outcome(post_id=post_id, published=published, details=details)


def account_check_connection(*, account_id: int) -> str:
    """Test an account's credentials against its server and refresh what we cache from it.

    Returns the remote identity (Mastodon ``acct``, Bluesky DID); raises ``PublishError``
    (or ``CredentialsError``) with words when the connection does not work.
    """
    account = SocialAccount.objects.get(pk=account_id)
    adapter = get_adapter(
        account.network,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
        on_session_change=lambda s: social_account_store_session(account_id=account.pk, session=s),
    )
    credentials = _credentials(account)
    identity = adapter.verify(credentials)
    if isinstance(adapter, MastodonAdapter):
        max_characters, per_url = adapter.fetch_limits(credentials)
        social_account_set_limits(
            account_id=account.pk,
            max_characters=max_characters,
            characters_reserved_per_url=per_url,
        )
    return identity

"""Notification e-mails, sent by a Celery worker once the change is committed.

The notification row is the outbox (``Notification.email_status``): the request only inserts
it and queues a task after commit; the worker claims each row with a conditional update (so a
redelivered task, or two workers, never send one e-mail twice), sends it, and records the
outcome. A transient failure (refused, timeout, SMTP 4xx) is retried with backoff up to
``EMAIL_MAX_ATTEMPTS``; the sweep sends what was never queued (broker down) or whose worker
died. Nothing here runs inside a web request or a publishing worker.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from editorial import emails
from editorial.models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

Status = Notification.EmailStatus
Pref = NotificationPreference

# Longest wait between two attempts, whatever EMAIL_RETRY_BASE_SECONDS and the attempt count.
MAX_RETRY_DELAY = timedelta(minutes=15)
# Rows the sweep takes per run: a slow mail server never makes one run endless.
SWEEP_BATCH = 100


def enqueue(notification_ids: list[int]) -> None:
    """Queue the e-mails of these notifications, once the caller's transaction commits.

    The task's send is best effort (``recovered_by``, config/tasks.py): one attempt to reach
    the broker, no retry loop, 1 s socket timeouts, so a broker that is down or hangs costs
    the request a refused connection or a short timeout, never an error. The rows stay pending
    and the sweep sends them within ``EMAIL_SWEEP_AFTER_SECONDS`` + ``EMAIL_SWEEP_SECONDS``.
    """
    from editorial import tasks

    tasks.send_notification_emails.apply_async((notification_ids,), queue="email")


def is_transient(exc: BaseException) -> bool:
    """Worth trying again later: the server was unreachable, slow, or answered 4xx."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # SMTPServerDisconnected, connection refused or reset, timeouts, name resolution.
    return isinstance(exc, OSError)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubled each time, capped."""
    base = timedelta(seconds=float(settings.EMAIL_RETRY_BASE_SECONDS))
    delay: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_RETRY_DELAY)


def _due(now: datetime) -> Q:
    return Q(email_status=Status.PENDING) & (
        Q(email_retry_at__isnull=True) | Q(email_retry_at__lte=now)
    )


def _claim(pk: int) -> datetime | None:
    """Take the row for this worker; the claim time, or None if it is not ours to send.

    A conditional update: of two workers (or a task and its redelivery), one changes the row
    and the other changes nothing, on PostgreSQL and SQLite alike.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(_due(now), pk=pk).update(
        email_status=Status.SENDING,
        email_claimed_at=now,
        email_attempts=F("email_attempts") + 1,
    )
    return now if claimed else None


def _mine(pk: int, claimed_at: datetime) -> Q:
    return Q(pk=pk, email_status=Status.SENDING, email_claimed_at=claimed_at)


def _record_sent(pk: int, claimed_at: datetime) -> None:
    Notification.objects.filter(_mine(pk, claimed_at)).update(
        email_status=Status.SENT, emailed_at=timezone.now(), email_error=""
    )


def _record_failure(
    pk: int, claimed_at: datetime, exc: BaseException, *, transient: bool
) -> datetime | None:
    """Record a failed attempt; when to try again, or None once it has failed for good."""
    error = f"{type(exc).__name__}: {exc}"[:1000]
    attempts = Notification.objects.filter(pk=pk).values_list("email_attempts", flat=True).first()
    attempts = attempts or 0
    if transient and attempts < settings.EMAIL_MAX_ATTEMPTS:
        retry_at = timezone.now() + retry_delay(attempts)
        Notification.objects.filter(_mine(pk, claimed_at)).update(
            email_status=Status.PENDING, email_retry_at=retry_at, email_error=error
        )
        logger.warning(
            "notification e-mail %s not sent (attempt %d, again at %s): %s",
            pk,
            attempts,
            retry_at.isoformat(),
            error,
        )
        return retry_at
    Notification.objects.filter(_mine(pk, claimed_at)).update(
        email_status=Status.FAILED, email_error=error
    )
    logger.error(
        "notification e-mail %s failed for good after %d attempts: %s", pk, attempts, error
    )
    return None


def _wanted(notes: Sequence[Notification]) -> list[tuple[Notification, Pref | None]]:
    """The notes whose recipient wants an e-mail, with their preference; the others are
    marked not wanted (the preference and muting rules of ``emails.wants_email``)."""
    prefs = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(user_id__in={n.recipient_id for n in notes})
    }
    wanted: list[tuple[Notification, Pref | None]] = []
    skipped: list[int] = []
    for note in notes:
        pref = prefs.get(note.recipient_id)
        if emails.wants_email(note, pref):
            wanted.append((note, pref))
        else:
            skipped.append(note.pk)
    if skipped:
        Notification.objects.filter(pk__in=skipped, email_status=Status.PENDING).update(
            email_status=Status.NOT_WANTED
        )
    return wanted


def notification_emails_send(
    *, notification_ids: Sequence[int], budget_seconds: float | None = None
) -> datetime | None:
    """Send the e-mails of these notifications that are due; the earliest retry, if any.

    Each row is claimed just before its own message, so a claim lasts one message, not the
    batch. One SMTP connection serves the batch. A server that cannot be reached (or refuses
    our login) fails the rest of the batch at once, transiently: it is the server or our
    settings, not the messages, and trying each would wait EMAIL_TIMEOUT each. Past
    ``budget_seconds`` (one e-mail at least), no further row is claimed: the rest stays
    pending for the next run.
    """
    started = time.monotonic()
    now = timezone.now()
    notes = list(
        Notification.objects.filter(_due(now), pk__in=notification_ids)
        .select_related("recipient", "post", "post__current_revision")
        .order_by("pk")
    )
    retries: list[datetime] = []
    connection: BaseEmailBackend = get_connection(fail_silently=False)
    opened = False
    attempted = 0
    unreachable: BaseException | None = None
    try:
        for note, pref in _wanted(notes):
            spent = time.monotonic() - started
            if attempted and budget_seconds is not None and spent > budget_seconds:
                break
            claimed_at = _claim(note.pk)
            if claimed_at is None:
                continue  # sent, or being sent, by another worker
            attempted += 1
            if unreachable is None and not opened:
                try:
                    connection.open()
                    opened = True
                except Exception as exc:  # refused, timeout, TLS, authentication
                    unreachable = exc
            if unreachable is not None:
                retry_at = _record_failure(note.pk, claimed_at, unreachable, transient=True)
            else:
                retry_at = _send(connection, note, pref, claimed_at)
                if retry_at is not None:
                    # A broken session would fail every next message: the next one reconnects.
                    _close(connection)
                    opened = False
            if retry_at is not None:
                retries.append(retry_at)
    finally:
        _close(connection)
    return min(retries, default=None)


def _close(connection: BaseEmailBackend) -> None:
    """Close the session; a server that fails its QUIT has nothing more to tell us."""
    try:
        connection.close()
    except Exception:
        logger.debug("SMTP connection closed uncleanly", exc_info=True)


def _send(
    connection: BaseEmailBackend, note: Notification, pref: Pref | None, claimed_at: datetime
) -> datetime | None:
    """Send one claimed e-mail and record the outcome; when to retry after a transient error."""
    try:
        email = emails.compose(note, pref)
        message = EmailMessage(email.subject, email.body, to=[email.to], connection=connection)
        message.send()
    except Exception as exc:  # every error is recorded on its row (a template's: for good)
        return _record_failure(note.pk, claimed_at, exc, transient=is_transient(exc))
    _record_sent(note.pk, claimed_at)
    return None


def notification_emails_sweep() -> int:
    """Send what nobody is sending: never queued, lost, or claimed by a dead worker.

    Run by beat; how many rows it took. What was queued normally is left to its task for
    EMAIL_SWEEP_AFTER_SECONDS (after its creation, or after its retry time).
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_SENDING_STALE_SECONDS)
    dead = Notification.objects.filter(email_status=Status.SENDING, email_claimed_at__lt=stale)
    # An e-mail whose every attempt killed its worker is not tried forever.
    given_up = dead.filter(email_attempts__gte=settings.EMAIL_MAX_ATTEMPTS).update(
        email_status=Status.FAILED, email_error="worker died while sending, every attempt"
    )
    reclaimed = dead.update(email_status=Status.PENDING, email_retry_at=None)
    if reclaimed or given_up:
        logger.warning(
            "notification e-mails claimed by a dead worker: %d taken back, %d failed for good",
            reclaimed,
            given_up,
        )
    late = now - timedelta(seconds=settings.EMAIL_SWEEP_AFTER_SECONDS)
    ids = list(
        Notification.objects.filter(email_status=Status.PENDING)
        .alias(due_at=Coalesce("email_retry_at", "created_at"))
        .filter(due_at__lte=late)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if ids:
        # Bounded: a slow mail server holds one worker slot about one sweep period, not
        # SWEEP_BATCH x the time of an e-mail.
        notification_emails_send(
            notification_ids=ids, budget_seconds=float(settings.EMAIL_SWEEP_SECONDS)
        )
    return len(ids)


def count_overdue(now: datetime) -> int:
    """E-mails still pending two sweeps after the sweep should have taken them: no worker
    consumes the ``celery`` queue, or beat is not running (the health page's figure)."""
    limit = now - timedelta(
        seconds=settings.EMAIL_SWEEP_AFTER_SECONDS + 2 * settings.EMAIL_SWEEP_SECONDS
    )
    return int(
        Notification.objects.filter(email_status=Status.PENDING)
        .alias(due_at=Coalesce("email_retry_at", "created_at"))
        .filter(due_at__lt=limit)
        .count()
    )


def count_failed(since: datetime) -> int:
    """E-mails given up, of the notifications written since then."""
    return int(
        Notification.objects.filter(email_status=Status.FAILED, created_at__gte=since).count()
    )

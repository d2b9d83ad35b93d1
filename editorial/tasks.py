"""Thin Celery tasks for the editorial app: call one service, nothing else."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from config.tasks import BestEffortTask
from editorial import audit_heads, email_delivery
from editorial.services import consultations


@shared_task(acks_late=True, ignore_result=True)
def escalate_consultations() -> None:
    # Idempotent: each escalation level fires once, so a redelivered tick does no harm.
    consultations.consultations_escalate_overdue()


# On their own queue ("email"), consumed by a worker of their own (deploy/systemd,
# `make run`): a slow mail server must neither delay a post nor the tick that starts it.
# Retries wait at most 15 minutes (email_delivery.MAX_RETRY_DELAY), well under the broker's
# visibility timeout; a retry message that is lost anyway is picked up by the sweep. Queued in
# requests: best effort, a broker that is down leaves the rows to the sweep.
@shared_task(
    base=BestEffortTask,
    bind=True,
    acks_late=True,
    ignore_result=True,
    queue="email",
    max_retries=None,
    recovered_by="the e-mail sweep (the rows stay pending)",
)
def send_notification_emails(self: Any, notification_ids: list[int]) -> None:
    # Idempotent: rows are claimed before sending, so a redelivery sends nothing twice.
    retry_at = email_delivery.notification_emails_send(notification_ids=notification_ids)
    if retry_at is not None:
        countdown = max((retry_at - timezone.now()).total_seconds(), 0.0)
        raise self.retry(countdown=countdown)


@shared_task(acks_late=True, ignore_result=True, queue="email")
def sweep_notification_emails() -> None:
    email_delivery.notification_emails_sweep()


@shared_task(acks_late=True, ignore_result=True, queue="celery")
def log_audit_head() -> None:
    # Read-only: a redelivery logs the head twice, which verify_audit --heads accepts.
    audit_heads.audit_head_log()

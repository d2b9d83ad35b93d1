"""Thin Celery tasks for the editorial app: call one service, nothing else."""

from __future__ import annotations

from celery import shared_task

from editorial import consultations


@shared_task(acks_late=True, ignore_result=True)
def escalate_consultations() -> None:
    # Idempotent: each escalation level fires once, so a redelivered tick does no harm.
    consultations.consultations_escalate_overdue()

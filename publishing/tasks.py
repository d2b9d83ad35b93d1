"""Thin Celery tasks: take ids, call one service. The retry policy lives in the outbox rows
(next_attempt_at), not in Celery countdowns that Redis would redeliver.

Like every task of the project (``config.tasks.TransactionAwareTask``), a task here sent from
inside a transaction (the tick's queueing, a deletion's claim) reaches the broker only once
that transaction commits."""

from __future__ import annotations

from celery import shared_task

from publishing import services


@shared_task(acks_late=True, ignore_result=True)
def tick() -> None:
    services.tick()


@shared_task(acks_late=True, ignore_result=True)
def publish_batch(publication_ids: list[str]) -> None:
    services.publications_send(publication_ids=publication_ids)


# Messages queued before batches existed are still delivered after an upgrade.
@shared_task(acks_late=True, ignore_result=True)
def publish(publication_id: str) -> None:
    services.publication_send(publication_id=publication_id)


@shared_task(acks_late=True, ignore_result=True)
def delete_remote(publication_id: str) -> None:
    services.publication_delete(publication_id=publication_id)

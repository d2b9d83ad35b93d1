"""Thin Celery tasks for the charter: the rules that need the network."""

from __future__ import annotations

from celery import shared_task

from charter import services
from config.tasks import BestEffortTask


# Queued when a draft is saved: best effort, a broker that is down never loses the draft;
# the links are checked at the draft's next save.
@shared_task(
    base=BestEffortTask, acks_late=True, ignore_result=True, recovered_by="the draft's next save"
)
def check_links(urls: list[str]) -> None:
    # Idempotent: a link checked within the TTL is not fetched again.
    services.link_checks_run(urls=urls)

"""Thin Celery tasks for the charter: the rules that need the network."""

from __future__ import annotations

from celery import shared_task

from charter import services


@shared_task(acks_late=True, ignore_result=True)
def check_links(urls: list[str]) -> None:
    # Idempotent: a link checked within the TTL is not fetched again.
    services.link_checks_run(urls=urls)

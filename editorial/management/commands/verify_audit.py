"""Check the audit trail's hash chain and name the first broken link.

Exit status 0 when every event holds and the chain reaches the head row's last link, 1
otherwise (the broken link is printed on stderr). One pass over the table, in seq order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from editorial.audit import GENESIS_HASH, verify_chain
from editorial.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        # Read before the events: appends that commit during the walk only extend the chain.
        head = AuditChainHead.objects.filter(pk=AuditChainHead.ROW).first()
        last: list[AuditEvent] = []  # the last event walked, for the summary

        def walk() -> Iterator[AuditEvent]:
            for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
                last[:] = [event]
                yield event

        # No head row (a flushed database) leaves nothing to check the end against.
        broken = verify_chain(walk(), head=(head.seq, head.hash) if head else None)
        if broken is not None:
            raise CommandError(str(broken))
        count, tip = (last[0].seq, last[0].hash) if last else (0, GENESIS_HASH)
        self.stdout.write(f"Audit chain intact: {count} events, head {tip}")

"""Check the audit trail's hash chain and signatures, and name the first broken link.

Exit status 0 when every event holds, its signature under AUDIT_HMAC_KEY too, the chain
reaches the head row's last link and, with ``--heads FILE``, every head exported to that file
(or found in that log extract); 1 otherwise (the broken link is printed on stderr). One pass
over the table, in seq order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from editorial.audit import GENESIS_HASH, parse_heads, verify_chain
from editorial.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--heads",
            action="append",
            default=[],
            metavar="FILE",
            help=(
                "A file of heads printed by export_audit_head, or a log extract holding the "
                "lines the beat logs; the chain must still hold each. Repeatable."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        exported = self._exported(options["heads"])
        # Read before the events: appends that commit during the walk only extend the chain.
        head = AuditChainHead.objects.filter(pk=AuditChainHead.ROW).first()
        last: list[AuditEvent] = []  # the last event walked, for the summary

        def walk() -> Iterator[AuditEvent]:
            for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
                last[:] = [event]
                yield event

        # No head row (a flushed database) leaves nothing to check the end against.
        broken = verify_chain(
            walk(),
            head=(head.seq, head.hash) if head else None,
            key=settings.AUDIT_HMAC_KEY,
            exported=exported,
        )
        if broken is not None:
            raise CommandError(str(broken))
        count, tip = (last[0].seq, last[0].hash) if last else (0, GENESIS_HASH)
        against = f", {len(exported)} exported head(s) found in it" if options["heads"] else ""
        self.stdout.write(f"Audit chain intact: {count} events, head {tip}{against}")

    def _exported(self, paths: list[str]) -> dict[int, str]:
        exported: dict[int, str] = {}
        for path in paths:
            try:
                with Path(path).open(encoding="utf-8", errors="replace") as lines:
                    heads = parse_heads(lines, key=settings.AUDIT_HMAC_KEY)
            except OSError as exc:
                raise CommandError(f"Cannot read the heads file {path}: {exc}") from None
            except ValueError as exc:
                raise CommandError(f"Heads file {path}, {exc}") from None
            if not heads:
                raise CommandError(f"No audit head found in {path}.")
            for found in heads:
                if exported.setdefault(found.seq, found.hash) != found.hash:
                    raise CommandError(
                        f"Heads file {path} records two hashes for seq {found.seq}, both "
                        "signed: the chain was forked, or the file mixes two databases."
                    )
        return exported

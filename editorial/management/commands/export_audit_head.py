"""Print the audit chain's signed head, one line, to keep out of the database.

    manage.py export_audit_head >> /var/lib/porte-voix-audit/heads.log

``verify_audit --heads FILE`` then checks that the chain still holds every head recorded
there (events deleted from the end show). Exit 1 if the last event does not hold on its own.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from editorial.audit import head_line
from editorial.audit_heads import AuditHeadError, audit_head_signed


class Command(BaseCommand):
    help = "Print the audit chain's signed head (append it to a file kept off the database)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            head = audit_head_signed()
        except AuditHeadError as exc:
            raise CommandError(str(exc)) from None
        if head is None:
            raise CommandError("The audit trail is empty: there is no head to export yet.")
        self.stdout.write(head_line(seq=head.seq, hash=head.hash, mac=head.mac, at=timezone.now()))

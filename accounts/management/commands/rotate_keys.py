"""Re-encrypt every stored credential with the first key of FERNET_KEYS.

The procedure (docs/operations.md, "Credentials"): put the new key first, keep the old one
after it, restart every process; run this; then remove the old key. It prints counts only,
never a value, and changes nothing unless every value could be re-encrypted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.keys import UnreadableCredentials, credentials_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential with the first key of FERNET_KEYS (all or "
        "nothing; prints counts, never a secret)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be re-encrypted; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        try:
            report = credentials_rotate(dry_run=dry_run)
        except UnreadableCredentials as exc:
            raise CommandError(str(exc)) from None
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        for label in sorted(report.rotated):
            self.stdout.write(
                f"{label}: {report.rotated[label]} {verb}, "
                f"{report.current[label]} already under the first key"
            )
        self.stdout.write(
            f"{'Dry run: ' if dry_run else ''}{report.total_rotated} value(s) {verb} with the "
            f"first of {len(settings.FERNET_KEYS)} key(s), {report.total_current} already "
            "under it."
        )
        if not dry_run and len(settings.FERNET_KEYS) > 1:
            self.stdout.write(
                "Every stored value now opens with the first key: the others can be removed "
                "from FERNET_KEYS once every process runs with this list."
            )

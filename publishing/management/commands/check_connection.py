"""Test social accounts' credentials and refresh the limits cached from their servers.

python manage.py check_connection            # every active account
python manage.py check_connection 3 7        # these accounts
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.crypto import CredentialsError
from accounts.models import SocialAccount
from publishing.adapters.base import PublishError
from publishing.services import account_check_connection


class Command(BaseCommand):
    help = "Test the connection of social accounts and refresh their instance limits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_ids", nargs="*", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = SocialAccount.objects.filter(is_active=True)
        if options["account_ids"]:
            accounts = SocialAccount.objects.filter(pk__in=options["account_ids"])
        failures = 0
        for account in accounts.order_by("pk"):
            try:
                identity = account_check_connection(account_id=account.pk)
            except (PublishError, CredentialsError) as exc:
                failures += 1
                self.stderr.write(f"#{account.pk} {account}: FAILED — {exc}")
                continue
            account.refresh_from_db()
            line = f"#{account.pk} {account}: OK as {identity}"
            if account.network == SocialAccount.Network.MASTODON:
                # Bluesky's limit is fixed (300 graphemes), not read from the server.
                server = f"{account.server_software}, " if account.server_software else ""
                line += f" ({server}limit {account.max_characters} characters)"
            self.stdout.write(line)
        if failures:
            raise CommandError(f"{failures} account(s) could not connect.")

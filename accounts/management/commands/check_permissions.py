"""Compare every person's permission rows with what explains them today.

A row is explained by a membership (a role in the account's unit or a unit above it, for an
active person) or by a per-account grant; a group's row on an account is never explained.
The command lists every row nothing explains (it still gives a right: a revocation that did
not happen) and every row missing (a right the person should have and does not). Exit
status 1 when it finds any, unless ``--fix`` repaired them: then it says what it removed and
added (the removals of people's rows are in the audit trail, cause ``check_permissions``),
and exits 0. Run it nightly and after any write that bypassed the application
(``queryset.update``, SQL, a restored dump).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import permissions
from accounts.models import SocialAccount


def _describe(rows: frozenset[permissions.Row], names: dict[int, str]) -> list[str]:
    return [
        f"{perm.name.lower()} on {names.get(pk, f'deleted account #{pk}')}"
        for pk, perm in sorted(rows)
    ]


class Command(BaseCommand):
    help = "Report permission rows no membership or grant explains, and missing ones; --fix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Remove the unexplained rows and add the missing ones (audited).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fix: bool = options["fix"]
        with transaction.atomic():
            found = permissions.drift()
            names = {a.pk: str(a) for a in SocialAccount.objects.all()}
            unexplained = sum(len(d.unexplained) for d in found)
            missing = sum(len(d.missing) for d in found)
            for item in found:
                who = f"{item.user.username} (#{item.user.pk})"
                verb_gone, verb_new = ("removed", "added") if fix else ("unexplained", "missing")
                for line in _describe(item.unexplained, names):
                    self.stdout.write(f"{who}: {verb_gone}: {line}")
                for line in _describe(item.missing, names):
                    self.stdout.write(f"{who}: {verb_new}: {line}")
                if fix:
                    permissions.sync_user(item.user, cause="check_permissions")
            groups = list(permissions.group_rows())
            for row in groups:
                right = permissions.CODENAMES[row.permission.codename].name.lower()
                account = names.get(int(row.object_pk), f"deleted account #{row.object_pk}")
                verb = "removed" if fix else "unexplained"
                self.stdout.write(f"group {row.group.name}: {verb}: {right} on {account}")
            if fix and groups:
                permissions.group_rows().delete()
            unexplained += len(groups)
        if not (found or groups):
            self.stdout.write("Permissions match memberships and grants: nothing to do.")
            return
        summary = f"{unexplained} unexplained row(s), {missing} missing row(s)"
        whom = f"{len(found)} person(s)" + (f" and {len(groups)} group row(s)" if groups else "")
        if fix:
            self.stdout.write(f"Repaired {summary} for {whom}.")
            return
        raise CommandError(f"{summary} for {whom}; run with --fix to repair.")

"""Export one account's records for the archives, as the records page does.

`manage.py export_records --account 3 --from 2026-01-01 --to 2026-03-31 [--output DIR]`

``--account`` takes the account's id or its handle (with or without the leading @). The
bundle (``publishing.services.records``) is written as one .zip in DIR (default: the current
directory). An operator with shell access exports any account; the export is audited, with
no person (``channel: command``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from accounts.models import SocialAccount
from publishing.services.records import (
    RecordsError,
    records_check,
    records_export,
    records_filename,
)


class Command(BaseCommand):
    help = "Export an account's published posts, their history and audit segment as a .zip."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, help="The account's id or handle.")
        parser.add_argument("--from", dest="start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="Last day, YYYY-MM-DD.")
        parser.add_argument("--output", default=".", help="Folder for the .zip (default: .).")

    def handle(self, *args: Any, **options: Any) -> None:
        account = _account(options["account"])
        start, end = _day(options["start"], "--from"), _day(options["end"], "--to")
        folder = Path(options["output"])
        if not folder.is_dir():
            raise CommandError(f"--output {folder} is not a folder: create it first.")
        try:
            records_check(account=account, start=start, end=end, by=None)
        except RecordsError as exc:
            raise CommandError(exc.message) from None
        path = folder / records_filename(account, start, end)
        with path.open("wb") as out:
            done = records_export(account=account, start=start, end=end, out=out, by=None)
        verdict = "intact" if done.segment.intact else f"BROKEN: {done.segment.problem}"
        self.stdout.write(
            f"{done.posts} post(s) of {account} written to {path}; audit segment {verdict}."
        )
        if not done.segment.intact:
            raise CommandError(f"The audit segment of {path} is broken: {done.segment.problem}")


def _account(value: str) -> SocialAccount:
    if value.isdigit():
        found = SocialAccount.objects.filter(pk=int(value)).select_related("unit").first()
        if found is not None:
            return found
    handle = value.removeprefix("@")
    named = Q(handle__iexact=handle) | Q(handle__iexact=f"@{handle}")
    matches = list(SocialAccount.objects.filter(named).select_related("unit"))
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(f"{a.pk} ({a})" for a in matches)
        raise CommandError(f"Several accounts have the handle {value!r}: give the id ({ids}).")
    raise CommandError(
        f"No account has the id or handle {value!r}: see the accounts page or the admin."
    )


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a day as YYYY-MM-DD, not {value!r}.") from None

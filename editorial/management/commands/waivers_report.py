"""Write the monthly exceptions report: `manage.py waivers_report --month 2026-11 [--output f.csv]`.

The same selector and CSV as the report page, over every post (an operator with shell access
reads everything); UTF-8 with a byte order mark and ``;`` between cells, for Excel in French.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from editorial import selectors
from editorial.services import waivers


class Command(BaseCommand):
    help = "Write the charter waivers granted during a month as CSV (the exceptions report)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--month",
            default="",
            help="The month as YYYY-MM (default: the current month).",
        )
        parser.add_argument("--output", default="", help="Write to this file instead of stdout.")
        parser.add_argument("--language", default="fr", help="Language of the headers and labels.")

    def handle(self, *args: Any, **options: Any) -> None:
        value = options["month"] or timezone.localdate().strftime("%Y-%m")
        try:
            month = waivers.parse_month(value)
        except ValueError:
            raise CommandError(f"--month must be YYYY-MM, not {value!r}.") from None
        with translation.override(options["language"]):
            rows = selectors.waivers_in_month(month)
            if options["output"]:
                # newline="": the csv module writes its own line endings.
                with open(options["output"], "w", encoding="utf-8", newline="") as out:
                    waivers.write_report(rows, out)
                self.stderr.write(f"{rows.count()} waiver(s) written to {options['output']}.")
            else:
                # Whole, because the command's stdout wrapper ends every write with a newline.
                buffer = io.StringIO()
                waivers.write_report(rows, buffer)
                self.stdout.write(buffer.getvalue(), ending="")

"""Run one scheduler tick, or show what it would do.

python manage.py tick --dry-run     # list what the next tick would do; change nothing
python manage.py tick               # run one tick now (what beat triggers every second)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from editorial.models import Post
from publishing.models import Publication
from publishing.services import tick
from publishing.services.preview import TickPreview, tick_preview


def _post(post: Post) -> str:
    revision = post.current_revision
    text = " ".join((revision.text if revision is not None else "").split())
    words = f"{text[:60]}…" if len(text) > 60 else text
    accounts = ", ".join(str(a) for a in post.accounts.all())
    when = f"{post.scheduled_at:%Y-%m-%d %H:%M:%S %Z}" if post.scheduled_at else "now"
    return f"post #{post.pk} due {when} to {accounts}: “{words}”"


def _publication(publication: Publication) -> str:
    part = f" part {publication.part + 1}" if publication.part else ""
    return (
        f"post #{publication.post_id}{part} → {publication.account} "
        f"(publication {publication.pk}, due {publication.due_at:%Y-%m-%d %H:%M:%S %Z})"
    )


class Command(BaseCommand):
    help = "Run one scheduler tick, or with --dry-run show what it would do."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what the next tick would do without changing anything.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            self._show(tick_preview())
            return
        result = tick()
        self.stdout.write(
            f"Tick: {result.started_posts} post(s) started, {len(result.queued)} "
            f"publication(s) queued, {result.reclaimed} reclaimed."
        )

    def _show(self, preview: TickPreview) -> None:
        self.stdout.write(
            f"Dry run at {preview.now:%Y-%m-%d %H:%M:%S %Z} (due up to "
            f"{preview.horizon:%H:%M:%S}): nothing is changed."
        )
        if preview.is_empty:
            self.stdout.write("The next tick would do nothing.")
            return
        self._section("Posts that would start publishing", map(_post, preview.posts_to_start))
        for title, rows in (
            ("Publications that would be queued", preview.to_queue),
            ("Publications that would be held (later than their account's limit)", preview.to_hold),
            ("Publications that would wait (paced)", preview.to_wait),
            ("Lost queue messages that would be taken back", preview.lost_queue),
            ("Stale or dead claims that would be taken back", preview.stalled),
            ("Deletions that would be requested (retracted posts)", preview.deletions_to_request),
            ("Stale deletion claims that would be taken back", preview.deletions_to_reclaim),
            ("Deletions that would be queued", preview.deletions_to_queue),
        ):
            self._section(title, map(_publication, rows))
        self._section(
            "Posts whose outcome would be reported",
            (f"post #{post.pk}" for post in preview.posts_to_report),
        )

    def _section(self, title: str, lines: Iterable[str]) -> None:
        lines = list(lines)
        if lines:
            self.stdout.write(f"{title} ({len(lines)}):")
            for line in lines:
                self.stdout.write(f"  {line}")

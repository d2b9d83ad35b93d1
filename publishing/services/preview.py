"""What the next tick would do, read without changing anything (``manage.py tick --dry-run``,
as Wagtail's ``publish_scheduled --dryrun``).

It reads through the same querysets and the same pacer as the tick (``scheduler``,
``sweeper``, ``retraction``), so the listing cannot drift from what a tick does. Two things
are only known when the tick runs: whether the charter, re-checked when a post starts, holds
it instead; and which of a started post's new publications go out in that same tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from editorial.models import Post, PostState
from editorial.selectors import without_frozen
from publishing.models import Publication
from publishing.services import retraction, sweeper
from publishing.services.pacing import Pacer
from publishing.services.scheduler import BATCH, due_publications, lookahead


@dataclass
class TickPreview:
    now: datetime
    horizon: datetime
    posts_to_start: list[Post] = field(default_factory=list)
    to_queue: list[Publication] = field(default_factory=list)
    to_hold: list[Publication] = field(default_factory=list)  # later than the account's limit
    to_wait: list[Publication] = field(default_factory=list)  # paced: a later tick
    lost_queue: list[Publication] = field(default_factory=list)
    stalled: list[Publication] = field(default_factory=list)
    posts_to_report: list[Post] = field(default_factory=list)
    deletions_to_request: list[Publication] = field(default_factory=list)
    deletions_to_reclaim: list[Publication] = field(default_factory=list)
    deletions_to_queue: list[Publication] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(
            getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("now", "horizon")
        )


def tick_preview(*, now: datetime | None = None) -> TickPreview:
    """The next tick's work at ``now``, each list capped as the tick caps it (BATCH)."""
    now = now or timezone.now()
    preview = TickPreview(now=now, horizon=now + lookahead())
    preview.posts_to_start = list(
        without_frozen(
            Post.objects.select_related("current_revision").filter(
                state=PostState.SCHEDULED, scheduled_at__lte=preview.horizon
            )
        )
        .prefetch_related("accounts")
        .order_by("scheduled_at")[:BATCH]
    )
    _pace(preview)
    with_account = Publication.objects.select_related("account")
    preview.lost_queue = list(sweeper.lost_queue(now).select_related("account")[:BATCH])
    preview.stalled = list(sweeper.stalled(now).select_related("account")[:BATCH])
    preview.posts_to_report = list(sweeper.orphaned_posts()[:BATCH])
    preview.deletions_to_request = list(
        retraction.deletions_to_request().select_related("account")[:BATCH]
    )
    preview.deletions_to_reclaim = list(
        sweeper.stale_deletions(now).select_related("account")[:BATCH]
    )
    preview.deletions_to_queue = list(
        with_account.filter(pk__in=retraction.due_deletions(now).values("pk")[:BATCH])
    )
    return preview


def _pace(preview: TickPreview) -> None:
    """The pacer's verdict on each pending publication due by the horizon; it decides in
    memory, so asking it changes nothing."""
    candidates = list(due_publications(preview.horizon)[:BATCH])
    pacer = Pacer.for_candidates(preview.now, candidates)
    for publication in candidates:
        verdict = pacer.verdict(publication)
        {"go": preview.to_queue, "hold": preview.to_hold}.get(verdict, preview.to_wait).append(
            publication
        )

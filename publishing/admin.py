from __future__ import annotations

from django.contrib import admin

from editorial.admin import ReadOnlyAdmin
from publishing.models import Attempt, Publication, WorkerHeartbeat


class AttemptInline(admin.TabularInline[Attempt, Publication]):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = (
        "number",
        "outcome",
        "error",
        "started_at",
        "acknowledged_at",
        "found_by_lookup",
        "finished_at",
    )


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ("id", "post", "account", "state", "attempts", "due_at", "published_at")
    list_filter = ("state", "account__network")
    inlines = [AttemptInline]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """Which worker processes are alive: a claim's ``claimed_by`` names one of these."""

    list_display = ("worker", "started_at", "beat_at")
    ordering = ("-beat_at",)

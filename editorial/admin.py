from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from editorial.models import Approval, AuditEvent, Post, Revision


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """History is written by services only: the admin may look, never touch."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("pk", "state", "author", "unit", "scheduled_at", "updated_at")
    list_filter = ("state",)


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("post", "number", "language", "created_by", "created_at")


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("post", "revision", "approver", "created_at")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "seq",
        "created_at",
        "post",
        "verb",
        "actor",
        "on_behalf_of",
        "from_state",
        "to_state",
        "hash",
    )
    list_filter = ("verb",)

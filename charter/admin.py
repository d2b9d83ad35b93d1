"""Charters in the admin. Writes (and deletions) go through the services, which record them in
the audit trail; recorded versions are read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _

from charter import services
from charter.engine import CharterParamsError, normalize_params
from charter.models import Charter, CharterVersion, ElectionWindow, ElectoralReferent

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.forms.models import BaseInlineFormSet
    from django.http import HttpRequest

    from accounts.models import User


class CharterVersionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CharterVersion
        fields = ["params", "public_summary"]

    def clean_params(self) -> dict[str, Any]:
        try:
            return normalize_params(self.cleaned_data.get("params") or {})
        except CharterParamsError as error:
            raise forms.ValidationError(error.messages) from error


class CharterVersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CharterVersion
    form = CharterVersionForm
    extra = 0
    fields = ["number", "params", "public_summary", "created_by", "created_at"]
    readonly_fields = ["number", "created_by", "created_at"]
    ordering = ["-number"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # immutable: a change is a new version

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Charter)
class CharterAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "unit", "account", "created_at"]
    list_select_related = ["unit", "account"]
    search_fields = ["name", "unit__code", "unit__name"]
    inlines = [CharterVersionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Charter | None = None) -> list[str]:
        # Moving a charter to another unit would rewrite which rules past posts ran under.
        return ["name", "unit", "account", "created_at"] if obj is not None else ["created_at"]

    def save_model(self, request: HttpRequest, obj: Charter, form: Any, change: bool) -> None:
        if change:
            return
        user: User = request.user  # type: ignore[assignment]
        created = services.charter_create(
            name=obj.name, unit=obj.unit, account=obj.account, by=user
        )
        obj.pk = created.pk
        obj.created_at = created.created_at

    def save_formset(
        self,
        request: HttpRequest,
        form: Any,
        formset: BaseInlineFormSet,  # type: ignore[type-arg]
        change: bool,
    ) -> None:
        user: User = request.user  # type: ignore[assignment]
        for version in formset.save(commit=False):
            services.charter_version_create(
                charter=form.instance,
                params=version.params,
                by=user,
                public_summary=version.public_summary,
            )

    def delete_model(self, request: HttpRequest, obj: Charter) -> None:
        user: User = request.user  # type: ignore[assignment]
        services.charter_delete(charter=obj, by=user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Charter]) -> None:
        user: User = request.user  # type: ignore[assignment]
        for charter in queryset:
            services.charter_delete(charter=charter, by=user)


@admin.register(ElectionWindow)
class ElectionWindowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "unit", "window_start", "first_round", "second_round"]
    list_filter = ["kind"]
    list_select_related = ["unit"]
    search_fields = ["name", "unit__code", "unit__name"]

    def _manages(self, request: HttpRequest, obj: ElectionWindow | None) -> bool:
        user: User = request.user  # type: ignore[assignment]
        return obj is None or services.may_manage_charter(user, obj.unit)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._manages(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._manages(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ElectionWindow, form: Any, change: bool
    ) -> None:
        user: User = request.user  # type: ignore[assignment]
        saved = services.election_window_save(window=obj, by=user)
        if saved.held:
            # The administrator who declared the election sees at once what it took off the
            # schedule; the posts' people were notified.
            messages.warning(
                request,
                _("%(n)d scheduled post(s) are now held by the charter: %(posts)s")
                % {"n": len(saved.held), "posts": " ".join(saved.held)},
            )

    def delete_model(self, request: HttpRequest, obj: ElectionWindow) -> None:
        user: User = request.user  # type: ignore[assignment]
        services.election_window_delete(window=obj, by=user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ElectionWindow]) -> None:
        user: User = request.user  # type: ignore[assignment]
        for window in queryset:
            services.election_window_delete(window=window, by=user)


@admin.register(ElectoralReferent)
class ElectoralReferentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "unit", "created_at"]
    list_select_related = ["user", "unit"]
    search_fields = ["user__username", "user__last_name", "unit__code", "unit__name"]
    fields = ["user", "unit"]

    def _manages(self, request: HttpRequest, obj: ElectoralReferent | None) -> bool:
        user: User = request.user  # type: ignore[assignment]
        return obj is None or services.may_manage_charter(user, obj.unit)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A designation is made or removed, never moved: moving would rewrite who could waive.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._manages(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ElectoralReferent, form: Any, change: bool
    ) -> None:
        user: User = request.user  # type: ignore[assignment]
        created = services.electoral_referent_designate(user=obj.user, unit=obj.unit, by=user)
        obj.pk = created.pk
        obj.created_at = created.created_at

    def delete_model(self, request: HttpRequest, obj: ElectoralReferent) -> None:
        user: User = request.user  # type: ignore[assignment]
        services.electoral_referent_remove(referent=obj, by=user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ElectoralReferent]) -> None:
        user: User = request.user  # type: ignore[assignment]
        for referent in queryset:
            services.electoral_referent_remove(referent=referent, by=user)

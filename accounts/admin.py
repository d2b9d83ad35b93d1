from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import permissions, services
from accounts.models import AccountGrant, Delegation, Membership, OrgUnit, SocialAccount, User


class RightsAuditedAdmin(admin.ModelAdmin[Any]):
    """Pages whose writes can end rights: the receivers (``accounts.receivers``) recompute
    them in the page's transaction, and the rights withdrawn are audited under the
    administrator's name (change form and its inlines, delete page, bulk delete action)."""

    def _acting(self, request: HttpRequest) -> Any:
        by: User = request.user  # type: ignore[assignment]
        return permissions.acting(by=by, cause="admin")

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with self._acting(request):
            return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with self._acting(request):
            return super().delete_view(request, *args, **kwargs)

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with self._acting(request):
            return super().changelist_view(request, *args, **kwargs)


@admin.register(User)
class UserAdmin(RightsAuditedAdmin, BaseUserAdmin[User]):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Byline"), {"fields": ("initials",)}))


class MembershipInline(admin.TabularInline[Membership, OrgUnit]):
    model = Membership
    extra = 1


@admin.register(OrgUnit)
class OrgUnitAdmin(RightsAuditedAdmin):
    list_display = ("name", "code", "kind", "parent")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(RightsAuditedAdmin):
    # Saving and deleting recompute the member's rights (accounts.receivers).
    list_display = ("user", "unit", "role")


@admin.register(AccountGrant)
class AccountGrantAdmin(RightsAuditedAdmin):
    """Rights on one account outside any role; deleting one ends the right."""

    list_display = ("user", "right", "account", "granted_by", "created_at")
    list_filter = ("right",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


class SocialAccountForm(forms.ModelForm):  # type: ignore[type-arg]
    # Write-only: the stored secret is never sent back to the browser.
    secret = forms.CharField(
        label=_("Access token or app password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored credentials."),
    )

    server_url = forms.URLField(label=_("server URL"), assume_scheme="https")

    class Meta:
        model = SocialAccount
        fields = (
            "network",
            "server_url",
            "handle",
            "unit",
            "byline_template",
            "max_characters",
            "characters_reserved_per_url",
            "is_active",
        )


@admin.register(SocialAccount)
class SocialAccountAdmin(RightsAuditedAdmin):
    form = SocialAccountForm
    list_display = ("handle", "network", "server_url", "unit", "is_active", "has_credentials")

    @admin.display(boolean=True, description=_("credentials"))
    def has_credentials(self, obj: SocialAccount) -> bool:
        return obj.has_credentials

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        secret = form.cleaned_data.get("secret")
        if secret:
            obj.set_credentials({"secret": secret})
        super().save_model(request, obj, form, change)
        permissions.sync_account_grants(obj)
        if change:
            user: User = request.user  # type: ignore[assignment]
            held = services.social_account_changed(account=obj, by=user, fields=form.changed_data)
            if held:
                messages.warning(
                    request,
                    gettext("%(n)d scheduled post(s) are now held by the charter: %(posts)s")
                    % {"n": len(held), "posts": " ".join(held)},
                )


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin[Delegation]):
    list_display = ("from_user", "to_user", "unit", "starts_on", "ends_on")
    list_filter = ("unit",)
    date_hierarchy = "starts_on"

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Groups and the django-otp and django-axes pages: replaced by ours (audited or read-only).
from accounts import organisation, permissions, services, third_party_admin  # noqa: F401
from accounts.models import AccountGrant, Delegation, Membership, OrgUnit, SocialAccount, User


def _by(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


class RightsAuditedAdmin(admin.ModelAdmin[Any]):
    """Pages whose writes can end rights. Every write goes through a service of
    ``accounts.services`` or ``accounts.organisation`` with the administrator as ``by``: the
    service checks they may, recomputes the rights in the page's transaction and records the
    change (and the rights withdrawn) under their name in the audit trail. The ``acting``
    context stays as the net for what a service does not name (a cascade)."""

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


class AuditedPasswordChangeForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    """The admin's "change password" page: the change is recorded (never the password)."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        acting = permissions.current_acting()
        organisation.user_save(
            user=user, password_changed=True, by=acting.by if acting is not None else None
        )
        return user


@admin.register(User)
class UserAdmin(RightsAuditedAdmin, BaseUserAdmin[User]):
    """People are created and changed through ``organisation.user_save`` (recorded), made
    active or inactive through ``services.user_set_active`` (their rights follow). They are
    never deleted here: deactivate them, the audit trail and past posts keep naming them."""

    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Byline"), {"fields": ("initials",)}))
    change_password_form = AuditedPasswordChangeForm

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def user_change_password(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with self._acting(request):
            return super().user_change_password(request, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        active = obj.is_active
        if change and "is_active" in form.changed_data:
            obj.is_active = not active  # as stored: the activation has its own service
        organisation.user_save(user=obj, password_changed=not change, by=_by(request))
        if obj.is_active != active:
            services.user_set_active(user=obj, active=active, by=_by(request))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The groups and the person's own permissions, instead of the form's save_m2m.
        data = form.cleaned_data
        if "groups" in data or "user_permissions" in data:
            organisation.user_set_groups(
                user=form.instance,
                groups=data.get("groups"),
                user_permissions=data.get("user_permissions"),
                by=_by(request),
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class MembershipInline(admin.TabularInline[Membership, OrgUnit]):
    model = Membership
    extra = 1


def _membership_save(membership: Membership, changed: list[str], by: User) -> Membership:
    """A membership edited in a form, through the services: another person is the old
    membership ended and a new one given; another unit is a move; another role, a change."""
    if "user" in changed:
        services.membership_delete(membership=membership, by=by)
        return services.membership_create(
            user=membership.user, unit=membership.unit, role=membership.role, by=by
        )
    result = membership
    if "unit" in changed:
        result = services.membership_move(membership=result, unit=membership.unit, by=by)
    if "role" in changed:
        result = services.membership_change_role(membership=result, role=membership.role, by=by)
    return result


@admin.register(OrgUnit)
class OrgUnitAdmin(RightsAuditedAdmin):
    """Units through ``organisation.org_unit_save``/``org_unit_delete``, their members
    through the membership services: each change is recorded."""

    list_display = ("name", "code", "kind", "parent")
    inlines = [MembershipInline]

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        organisation.org_unit_save(unit=obj, by=_by(request))

    def delete_model(self, request: HttpRequest, obj: OrgUnit) -> None:
        organisation.org_unit_delete(unit=obj, by=_by(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[OrgUnit]) -> None:
        for unit in queryset:
            organisation.org_unit_delete(unit=unit, by=_by(request))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        by = _by(request)
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.membership_delete(membership=membership, by=by)
        for membership, changed in formset.changed_objects:
            _membership_save(membership, changed, by)
        for membership in formset.new_objects:
            created = services.membership_create(
                user=membership.user, unit=form.instance, role=membership.role, by=by
            )
            membership.pk = created.pk


@admin.register(Membership)
class MembershipAdmin(RightsAuditedAdmin):
    """Through the membership services: each change recomputes the member's rights and is
    recorded."""

    list_display = ("user", "unit", "role")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            obj.pk = _membership_save(obj, form.changed_data, _by(request)).pk
            return
        created = services.membership_create(
            user=obj.user, unit=obj.unit, role=obj.role, by=_by(request)
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.membership_delete(membership=obj, by=_by(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset:
            services.membership_delete(membership=membership, by=_by(request))


@admin.register(AccountGrant)
class AccountGrantAdmin(RightsAuditedAdmin):
    """Rights on one account outside any role, given and ended through
    ``organisation.account_grant_create``/``account_grant_delete`` (recorded). A grant is
    given or ended, never changed: end it and give another."""

    list_display = ("user", "right", "account", "granted_by", "created_at")
    list_filter = ("right",)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: AccountGrant, form: Any, change: bool) -> None:
        created = organisation.account_grant_create(
            user=obj.user, account=obj.account, right=obj.right, by=_by(request)
        )
        obj.pk, obj.granted_by, obj.created_at = created.pk, created.granted_by, created.created_at

    def delete_model(self, request: HttpRequest, obj: AccountGrant) -> None:
        organisation.account_grant_delete(grant=obj, by=_by(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccountGrant]) -> None:
        for grant in queryset:
            organisation.account_grant_delete(grant=grant, by=_by(request))


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
        fields = services.ACCOUNT_FIELDS  # what the account's record shows, no credentials


@admin.register(SocialAccount)
class SocialAccountAdmin(RightsAuditedAdmin):
    """Through ``services.social_account_save`` (recorded, rights and held posts follow).
    Never deleted here: its publications keep it; deactivate it instead."""

    form = SocialAccountForm
    list_display = ("handle", "network", "server_url", "unit", "is_active", "has_credentials")

    @admin.display(boolean=True, description=_("credentials"))
    def has_credentials(self, obj: SocialAccount) -> bool:
        return obj.has_credentials

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SocialAccount, form: Any, change: bool) -> None:
        secret = form.cleaned_data.get("secret")
        held = services.social_account_save(
            account=obj, by=_by(request), credentials={"secret": secret} if secret else None
        )
        if held:
            messages.warning(
                request,
                gettext("%(n)d scheduled post(s) are now held by the charter: %(posts)s")
                % {"n": len(held), "posts": " ".join(held)},
            )


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin[Delegation]):
    """Read-only: a member gives and ends their own delegations on the Delegations page
    (``editorial.services.delegations``), which records them; nobody acts in their name here."""

    list_display = ("from_user", "to_user", "unit", "starts_on", "ends_on")
    list_filter = ("unit",)
    date_hierarchy = "starts_on"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

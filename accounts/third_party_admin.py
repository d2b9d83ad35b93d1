"""The admin pages of the packages we use (auth's groups, django-otp's devices, django-axes'
logs), replaced so that none writes without a record (django-dsfr's site settings page is
removed: the header and footer are our templates, not rows of its ``DsfrConfig``): groups through
``organisation.group_save``/``group_delete``; a lost second factor removed and a lockout
lifted by an action that records who did it; everything else read-only.

The packages' own pages are imported first, so that they are registered before we unregister
them, whatever the order in which the admin discovers the apps (``accounts.admin`` imports
this module).
"""

from __future__ import annotations

from typing import Any

import axes.admin
import django_otp.plugins.otp_static.admin
import django_otp.plugins.otp_totp.admin  # noqa: F401
import dsfr.admin  # noqa: F401
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from dsfr.models import DsfrConfig

from accounts import lockout, organisation, second_factor
from accounts.models import User


def _by(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """A page that shows but does not write: what would be written here has no record."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


admin.site.unregister(Group)
admin.site.unregister(DsfrConfig)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Groups (an approval step can name one; their permissions are their members') through
    ``organisation.group_save``/``group_delete``: each change is recorded."""

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        organisation.group_save(
            group=obj, group_permissions=form.cleaned_data.get("permissions"), by=_by(request)
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The permissions were set by group_save, instead of the form's save_m2m.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        organisation.group_delete(group=obj, by=_by(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset:
            organisation.group_delete(group=group, by=_by(request))


def _report(request: HttpRequest, admin_page: admin.ModelAdmin[Any], message: str) -> None:
    admin_page.message_user(request, message, messages.SUCCESS)


admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


class SecondFactorAdmin(ReadOnlyAdmin):
    """Devices are enrolled by their owner (``accounts.second_factor``); an administrator
    only removes a lost one, for its person, with the action (recorded)."""

    actions = ["reset_second_factor"]

    def has_reset_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("otp_totp.delete_totpdevice")

    @admin.action(
        description=_("Remove the second factor of these people (they enrol again)"),
        permissions=["reset"],
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        people = User.objects.filter(pk__in=queryset.values("user")).order_by("pk")
        try:
            for person in people:
                second_factor.second_factor_reset(user=person, by=_by(request))
        except PermissionDenied as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        _report(
            request,
            self,
            gettext("Second factor removed for: %(people)s.")
            % {"people": ", ".join(str(p) for p in people)},
        )


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(SecondFactorAdmin):
    list_display = ("user", "name", "confirmed")
    search_fields = ("user__username",)
    # The secret key stays out of the page.
    fields = ("user", "name", "confirmed")


@admin.register(StaticDevice)
class StaticDeviceAdmin(SecondFactorAdmin):
    list_display = ("user", "name", "confirmed")
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed")


admin.site.unregister(AccessAttempt)
admin.site.unregister(AccessLog)
admin.site.unregister(AccessFailureLog)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes.admin.AccessAttemptAdmin):  # type: ignore[misc]
    """Failed logins being counted. Read-only but for the action that lifts a lockout early
    (``lockout.lockout_clear``, recorded with who lifted it)."""

    actions = ["clear_lockouts"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_clear_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("axes.delete_accessattempt"))

    @admin.action(
        description=_("Lift these lockouts (the failures are forgotten)"), permissions=["clear"]
    )
    def clear_lockouts(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        try:
            cleared = lockout.lockout_clear(attempts=queryset, by=_by(request))
        except PermissionDenied as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        _report(request, self, gettext("Lockouts lifted: %(count)s.") % {"count": cleared})


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin, axes.admin.AccessLogAdmin):  # type: ignore[misc]
    """Logins and logouts: a record, read-only."""


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(ReadOnlyAdmin, axes.admin.AccessFailureLogAdmin):  # type: ignore[misc]
    """Failed logins: a record, read-only."""

"""The third-party admin pages (groups, second-factor devices, login throttling) write only
through our audited services, or not at all.

A group's permissions are its members': a change to them is recorded like a person's own.
A lost second factor is removed, and a login lockout lifted early, by an action recorded with
the administrator; the rest of those pages is read-only.
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout, organisation, second_factor
from accounts.models import User
from editorial.models import AuditEvent
from tests.conftest import give_totp_device
from tests.factories import make_user


@pytest.fixture
def root(db: None) -> User:
    return make_user(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def client(root: User) -> Client:
    client = Client()
    client.force_login(root)
    return client


def _url(name: str, *args: Any) -> str:
    return reverse(f"admin:{name}", args=args)


def _post(client: Client, url: str, data: dict[str, Any]) -> None:
    response = client.post(url, data)
    errors = response.context.get("errors") if response.context else None
    assert response.status_code == 302, errors or response.content.decode()[:1000]


def _view_people() -> Permission:
    return Permission.objects.get(codename="view_user")


# --- groups ------------------------------------------------------------------------------


def test_admin_group_created_changed_and_deleted_are_recorded(root: User, client: Client) -> None:
    right = _view_people()
    _post(client, _url("auth_group_add"), {"name": "Cabinet", "permissions": [right.pk]})
    group = Group.objects.get(name="Cabinet")
    created = AuditEvent.objects.get(verb="group_created")
    assert created.actor == root
    assert created.data["fields"] == {"name": "Cabinet", "permissions": ["accounts.view_user"]}

    _post(client, _url("auth_group_change", group.pk), {"name": "Cabinet", "permissions": []})
    changed = AuditEvent.objects.get(verb="group_changed")
    assert changed.actor == root
    assert changed.data["changes"] == {
        "permissions": {"before": ["accounts.view_user"], "after": []}
    }
    assert not group.permissions.exists()

    _post(client, _url("auth_group_delete", group.pk), {"post": "yes"})
    deleted = AuditEvent.objects.get(verb="group_deleted")
    assert deleted.actor == root and deleted.data["group"] == {"id": group.pk, "name": "Cabinet"}
    assert not Group.objects.filter(pk=group.pk).exists()


def test_admin_group_unchanged_save_records_nothing(root: User, client: Client) -> None:
    group = organisation.group_save(
        group=Group(name="Presse"), group_permissions=[_view_people()], by=None
    )
    right = _view_people()
    _post(
        client, _url("auth_group_change", group.pk), {"name": "Presse", "permissions": [right.pk]}
    )
    assert not AuditEvent.objects.filter(verb__startswith="group_").exists()


# --- second factor -----------------------------------------------------------------------


def test_admin_second_factor_pages_are_read_only(root: User) -> None:
    request = RequestFactory().get("/")
    request.user = root
    for model in (TOTPDevice, StaticDevice, AccessAttempt, AccessLog):
        page = admin.site._registry[model]
        assert not page.has_add_permission(request), model
        assert not page.has_change_permission(request), model
        assert not page.has_delete_permission(request), model


def test_admin_second_factor_reset_removes_the_devices_and_is_recorded(
    root: User, client: Client
) -> None:
    person = make_user(username="agent")
    device = give_totp_device(person)
    second_factor.backup_codes_renew(user=person, audit=False)
    data = {"action": "reset_second_factor", "_selected_action": [device.pk]}
    _post(client, _url("otp_totp_totpdevice_changelist"), data)
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not StaticDevice.objects.filter(user=person).exists()
    event = AuditEvent.objects.get(verb="second_factor_reset")
    assert event.actor == root
    assert event.data == {"person": {"id": person.pk, "name": str(person)}, "devices": 2}
    assert TOTPDevice.objects.filter(user=root).exists()  # the administrator's own stays


def test_second_factor_reset_refused_to_staff_without_the_right(db: None) -> None:
    person = make_user(username="agent")
    give_totp_device(person)
    staff = make_user(username="staff", is_staff=True)
    with pytest.raises(PermissionDenied):
        second_factor.second_factor_reset(user=person, by=staff)
    assert TOTPDevice.objects.filter(user=person).exists()
    assert not AuditEvent.objects.filter(verb="second_factor_reset").exists()


# --- login lockouts ----------------------------------------------------------------------


def _attempt(username: str, ip_address: str, failures: int = 5) -> AccessAttempt:
    return AccessAttempt.objects.create(
        username=username,
        ip_address=ip_address,
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=failures,
    )


def test_admin_lockout_cleared_is_recorded_with_the_administrator(
    root: User, client: Client
) -> None:
    locked = _attempt("agent", "192.0.2.7")
    other = _attempt("someone", "192.0.2.8")
    data = {"action": "clear_lockouts", "_selected_action": [locked.pk]}
    _post(client, _url("axes_accessattempt_changelist"), data)
    assert not AccessAttempt.objects.filter(pk=locked.pk).exists()
    assert AccessAttempt.objects.filter(pk=other.pk).exists()
    event = AuditEvent.objects.get(verb="lockout_cleared")
    assert event.actor == root
    assert event.data == {"username": "agent", "ip_address": "192.0.2.7", "failures": 5}


def test_admin_lockout_cannot_be_deleted_without_the_action(root: User, client: Client) -> None:
    locked = _attempt("agent", "192.0.2.7")
    response = client.post(_url("axes_accessattempt_delete", locked.pk), {"post": "yes"})
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(pk=locked.pk).exists()


def test_lockout_clear_refused_to_staff_without_the_right(db: None) -> None:
    locked = _attempt("agent", "192.0.2.7")
    staff = make_user(username="staff", is_staff=True)
    with pytest.raises(PermissionDenied):
        lockout.lockout_clear(attempts=AccessAttempt.objects.all(), by=staff)
    assert AccessAttempt.objects.filter(pk=locked.pk).exists()


def test_admin_every_page_is_ours() -> None:
    """A package's own admin page writes without a record: each registered page is one of
    ours (audited or read-only), replacing the package's where it has one."""
    ours = ("accounts.", "charter.", "editorial.", "publishing.")
    foreign = {
        model._meta.label: type(page).__module__
        for model, page in admin.site._registry.items()
        if not type(page).__module__.startswith(ours)
    }
    assert foreign == {}

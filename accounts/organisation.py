"""Audited writes on the organisation the Django admin makes: units, people, rights on one
account. Each one is recorded in the audit trail with who acted and what changed.

``accounts`` may not import editorial, where the audit chain lives: it tells of each change
(``signals.organisation_changed``) inside the change's transaction, and editorial appends the
event there, so a change never commits without its record. ``record`` and the ``describe_*``
helpers are shared with ``accounts.services`` (memberships, accounts, activation).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import permissions, signals
from accounts.models import AccountGrant, OrgUnit, SocialAccount, User

# What a person's record shows of them: never the password (only that it changed).
USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "initials",
    "is_active",
    "is_staff",
    "is_superuser",
)
UNIT_FIELDS = ("name", "code", "kind", "parent")


def record(verb: str, *, by: User | None, **data: Any) -> None:
    """Append ``verb`` to the audit trail in the caller's transaction (editorial listens).

    Only what a person does is recorded: ``by`` None is the system seeding the organisation
    (the demo, the benches, a data migration), which is no one's decision to account for.
    The rights a system write withdraws are still recorded (``rights_revoked``)."""
    if by is not None:
        signals.organisation_changed.send(sender=User, verb=verb, actor=by, data=data)


def describe_person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": str(user)}


def describe_unit(unit: OrgUnit | None) -> dict[str, Any] | None:
    return None if unit is None else {"id": unit.pk, "code": unit.code, "name": unit.name}


def describe_account(account: SocialAccount) -> dict[str, Any]:
    return {"id": account.pk, "name": account.handle, "network": account.network}


def plain(value: Any) -> Any:
    """A field's value as the audit stores it (plain JSON): a unit by its code and name."""
    if isinstance(value, OrgUnit):
        return describe_unit(value)
    if value is None or isinstance(value, str | int | bool | float):
        return value
    return str(value)


def differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"before": old, "after": new}}`` for each field whose value changed."""
    return {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in fields}


def _require_superuser(by: User | None) -> None:
    if by is not None and not (by.is_active and by.is_superuser):
        raise PermissionDenied(_("Only a superuser can do this."))


# --- people ------------------------------------------------------------------------------


@transaction.atomic
def user_save(*, user: User, password_changed: bool = False, by: User | None) -> User:
    """Create or change a person from the admin's form (``user`` carries the new values).

    Whether a person is active goes through ``services.user_set_active`` (it ends or restores
    their rights); this records the other fields, before and after. The password is never
    recorded, only that it was set. Giving or taking the superuser or staff flag is a
    superuser's act."""
    previous = type(user).objects.select_for_update().filter(pk=user.pk).first()
    before = snapshot(previous, USER_FIELDS) if previous is not None else {}
    after = snapshot(user, USER_FIELDS)
    changes = differences(before, after)
    if {"is_superuser", "is_staff"} & changes.keys():
        _require_superuser(by)
    user.save()
    if previous is None:
        record("user_created", by=by, person=describe_person(user), fields=after)
    elif changes or password_changed:
        if password_changed:
            changes["password"] = {"before": "…", "after": "…"}
        record("user_changed", by=by, person=describe_person(user), changes=changes)
    return user


@transaction.atomic
def user_set_groups(
    *,
    user: User,
    groups: Iterable[Group] | None,
    user_permissions: Iterable[Permission] | None = None,
    by: User | None,
) -> None:
    """Set a person's groups (a group can be an approval step) and their own Django
    permissions (what they may do in this admin; None: unchanged), recording the names
    before and after."""
    before = {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }
    if groups is not None:
        user.groups.set(list(groups))
    if user_permissions is not None:
        user.user_permissions.set(list(user_permissions))
    after = {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }
    if changes := differences(before, after):
        record("user_changed", by=by, person=describe_person(user), changes=changes)


# --- groups ------------------------------------------------------------------------------


def _permission_names(granted: Iterable[Permission]) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in granted)


@transaction.atomic
def group_save(
    *, group: Group, group_permissions: Iterable[Permission] | None, by: User | None
) -> Group:
    """Create or change a group (a group can be an approval step, and what it may do is what
    each of its members may do) and set its permissions (None: unchanged), recording its
    name and permissions before and after."""
    previous = Group.objects.select_for_update().filter(pk=group.pk).first()
    before: dict[str, Any] = {}
    if previous is not None:
        before = {
            "name": previous.name,
            "permissions": _permission_names(previous.permissions.select_related("content_type")),
        }
    group.save()
    if group_permissions is not None:
        group.permissions.set(list(group_permissions))
    after = {
        "name": group.name,
        "permissions": _permission_names(group.permissions.select_related("content_type")),
    }
    described = {"id": group.pk, "name": group.name}
    if previous is None:
        record("group_created", by=by, group=described, fields=after)
    elif changes := differences(before, after):
        record("group_changed", by=by, group=described, changes=changes)
    return group


@transaction.atomic
def group_delete(*, group: Group, by: User | None) -> None:
    """Remove a group: its members lose what it gave them (recorded with its permissions)."""
    locked = Group.objects.select_for_update().get(pk=group.pk)
    described = {"id": locked.pk, "name": locked.name}
    granted = _permission_names(locked.permissions.select_related("content_type"))
    members = sorted(str(user) for user in locked.user_set.all())
    locked.delete()
    record("group_deleted", by=by, group=described, permissions=granted, members=members)


# --- units -------------------------------------------------------------------------------


def _require_unit_manager(by: User | None, unit: OrgUnit | None) -> None:
    """A unit is managed by its administrators and those above it; the top, by a superuser."""
    if unit is None:
        _require_superuser(by)
    elif by is not None:
        permissions.require_unit_admin(by, unit)


@transaction.atomic
def org_unit_save(*, unit: OrgUnit, by: User | None) -> OrgUnit:
    """Create or change a unit (``unit`` carries the new values). Moving it in the tree needs
    the right on the place it leaves and on the place it goes to; the rights of the people
    above both places follow (``accounts.receivers``)."""
    previous = OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()
    if previous is None:
        _require_unit_manager(by, unit.parent)
    else:
        _require_unit_manager(by, previous)
        if previous.parent_id != unit.parent_id:
            _require_unit_manager(by, unit.parent)
    before = snapshot(previous, UNIT_FIELDS) if previous is not None else {}
    with permissions.acting(by=by, cause="unit_changed"):
        unit.save()
    after = snapshot(unit, UNIT_FIELDS)
    if previous is None:
        record("unit_created", by=by, unit=describe_unit(unit), fields=after)
    elif changes := differences(before, after):
        record("unit_changed", by=by, unit=describe_unit(unit), changes=changes)
    return unit


@transaction.atomic
def org_unit_delete(*, unit: OrgUnit, by: User | None) -> None:
    """Remove a unit with no unit under it; its memberships go with it, and their rights."""
    locked = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    _require_unit_manager(by, locked)
    described = describe_unit(locked)
    fields = snapshot(locked, UNIT_FIELDS)
    with permissions.acting(by=by, cause="unit_deleted"):
        locked.delete()
    record("unit_deleted", by=by, unit=described, fields=fields)


# --- rights on one account ---------------------------------------------------------------


def _describe_grant(grant: AccountGrant) -> dict[str, Any]:
    return {
        "grant_id": grant.pk,
        "person": describe_person(grant.user),
        "account": describe_account(grant.account),
        "right": grant.right,
    }


@transaction.atomic
def account_grant_create(
    *, user: User, account: SocialAccount, right: str, by: User | None
) -> AccountGrant:
    """Give one right on one account outside any role, by an administrator of its unit."""
    if right not in AccountGrant.Right.values:
        raise ValueError(
            _("Unknown right %(right)s: choose one of %(rights)s.")
            % {"right": right, "rights": ", ".join(AccountGrant.Right.values)}
        )
    if by is not None:
        permissions.require_unit_admin(by, account.unit)
    with permissions.acting(by=by, cause="account_grant"):
        grant, created = AccountGrant.objects.get_or_create(
            user=user, account=account, right=right, defaults={"granted_by": by}
        )
        permissions.sync_user(user)
    if created:
        record("grant_created", by=by, **_describe_grant(grant))
    return grant


@transaction.atomic
def account_grant_delete(*, grant: AccountGrant, by: User | None) -> None:
    """End a right on one account: the right ends now unless a role still gives it."""
    locked = (
        AccountGrant.objects.select_for_update(of=("self",))
        .select_related("user", "account__unit")
        .get(pk=grant.pk)
    )
    if by is not None:
        permissions.require_unit_admin(by, locked.account.unit)
    described = _describe_grant(locked)
    with permissions.acting(by=by, cause="account_grant_ended"):
        locked.delete()
        permissions.sync_user(locked.user)
    record("grant_deleted", by=by, **described)

"""The waive right: carried by the ADMIN role only, and given to administrators who existed
before it did (the waive_right_for_admins migration)."""

from __future__ import annotations

import importlib
from pathlib import Path

from django.apps import apps

import accounts.migrations
from accounts import permissions
from accounts.models import Membership
from accounts.services import membership_create
from tests.conftest import Org
from tests.factories import drop_permission_row, make_account, make_unit, make_user

WAIVE = permissions.Perm.WAIVE


def _migration() -> object:
    # Found by name, not number: the number changes when branches are merged.
    folder = Path(accounts.migrations.__file__).parent
    (path,) = folder.glob("*_waive_right_for_admins.py")
    return importlib.import_module(f"accounts.migrations.{path.stem}")


def test_waive_right_is_carried_by_the_admin_role_only(org: Org) -> None:
    admin = make_user(username="admin")
    membership_create(user=admin, unit=org.service, role=Membership.Role.ADMIN)
    assert permissions.can(admin, WAIVE, org.mastodon)
    assert not permissions.can(org.manager, WAIVE, org.mastodon)  # reviewer and publisher
    assert not permissions.can(org.officer, WAIVE, org.mastodon)


def test_waive_right_can_be_granted_on_one_account(org: Org) -> None:
    permissions.grant(org.manager, WAIVE, org.bluesky)
    assert permissions.can(org.manager, WAIVE, org.bluesky)
    assert not permissions.can(org.manager, WAIVE, org.mastodon)


def test_waive_right_migration_grants_existing_admins_on_their_subtree(org: Org) -> None:
    admin = make_user(username="admin")
    membership_create(user=admin, unit=org.ministry, role=Membership.Role.ADMIN)
    elsewhere = make_account(make_unit(code="ailleurs"), "mastodon")
    for account in (org.mastodon, org.bluesky):
        drop_permission_row(admin, WAIVE, account)
    _migration().grant_waive_to_admins(apps, None)  # type: ignore[attr-defined]
    admin = type(admin).objects.get(pk=admin.pk)  # fresh permission cache
    assert permissions.can(admin, WAIVE, org.mastodon)
    assert permissions.can(admin, WAIVE, org.bluesky)
    assert not permissions.can(admin, WAIVE, elsewhere)
    assert not permissions.can(org.manager, WAIVE, org.mastodon)

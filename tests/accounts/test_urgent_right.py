"""The urgent right: carried by the ADMIN role only, and given to administrators who existed
before it did (migration 0004)."""

from __future__ import annotations

import importlib

from django.apps import apps

from accounts import permissions
from accounts.models import Membership
from accounts.services import membership_create
from tests.conftest import Org
from tests.factories import drop_permission_row, make_account, make_unit, make_user

URGENT = permissions.Perm.URGENT


def test_urgent_right_is_carried_by_the_admin_role_only(org: Org) -> None:
    admin = make_user(username="admin")
    membership_create(user=admin, unit=org.service, role=Membership.Role.ADMIN)
    assert permissions.can(admin, URGENT, org.mastodon)
    assert not permissions.can(org.manager, URGENT, org.mastodon)  # reviewer and publisher
    assert not permissions.can(org.officer, URGENT, org.mastodon)


def test_urgent_right_can_be_granted_on_one_account(org: Org) -> None:
    permissions.grant(org.manager, URGENT, org.bluesky)
    assert permissions.can(org.manager, URGENT, org.bluesky)
    assert not permissions.can(org.manager, URGENT, org.mastodon)


def test_urgent_right_migration_grants_existing_admins_on_their_subtree(org: Org) -> None:
    admin = make_user(username="admin")
    membership_create(user=admin, unit=org.ministry, role=Membership.Role.ADMIN)
    elsewhere = make_account(make_unit(code="ailleurs"), "mastodon")
    # As if the membership predated the right.
    for account in (org.mastodon, org.bluesky):
        drop_permission_row(admin, URGENT, account)
    migration = importlib.import_module("accounts.migrations.0004_urgent_right_for_admins")
    migration.grant_urgent_to_admins(apps, None)
    admin = type(admin).objects.get(pk=admin.pk)  # fresh permission cache
    assert permissions.can(admin, URGENT, org.mastodon)
    assert permissions.can(admin, URGENT, org.bluesky)
    assert not permissions.can(admin, URGENT, elsewhere)
    assert not permissions.can(org.manager, URGENT, org.mastodon)

from __future__ import annotations

from accounts import permissions
from accounts.models import Membership
from accounts.services import membership_create
from tests.conftest import Org
from tests.factories import make_account, make_unit, make_user

P = permissions.Perm


def test_permissions_follow_roles(org: Org) -> None:
    assert permissions.can(org.officer, P.DRAFT, org.mastodon)
    assert not permissions.can(org.officer, P.REVIEW, org.mastodon)
    assert permissions.can(org.manager, P.REVIEW, org.bluesky)
    assert permissions.can(org.manager, P.PUBLISH, org.bluesky)
    assert not permissions.can(org.outsider, P.DRAFT, org.mastodon)


def test_permissions_parent_unit_member_covers_child_accounts(org: Org) -> None:
    director = make_user()
    membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    assert permissions.can(director, P.REVIEW, org.mastodon)
    later = make_account(make_unit(parent=org.service), "mastodon")
    assert permissions.can(director, P.REVIEW, later)


def test_permissions_inactive_user_has_none(org: Org) -> None:
    org.officer.is_active = False
    org.officer.save()
    assert not permissions.can(org.officer, P.DRAFT, org.mastodon)


def test_permissions_accounts_for_lists_only_granted(org: Org) -> None:
    assert set(permissions.accounts_for(org.officer, P.DRAFT)) == {org.mastodon, org.bluesky}
    assert not permissions.accounts_for(org.outsider, P.REVIEW).exists()

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


def test_rights_held_answers_what_accounts_for_answers_for_every_right(org: Org) -> None:
    # The layout's menu reads every right in one query (``rights_held``); it must say what
    # asking ``accounts_for`` right by right says, whatever explains the right: roles, a role
    # in the unit above, a per-account grant, a group's row, a superuser, a deactivated account.
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from accounts.services import social_account_set_active

    director = make_user()
    membership_create(user=director, unit=org.ministry, role=Membership.Role.ADMIN)
    granted = make_user()
    permissions.grant(granted, P.WAIVE, org.bluesky)
    cabinet = Group.objects.create(name="cabinet")
    org.outsider.groups.add(cabinet)
    assign_perm(P.PUBLISH.value, cabinet, org.mastodon)
    boss = make_user(is_superuser=True)
    closed = make_account(org.service, "mastodon")
    social_account_set_active(account=closed, active=False, by=director)
    people = [org.officer, org.manager, org.outsider, director, granted, boss, make_user()]
    for person in people:
        held = permissions.rights_held(person)
        for perm in P:
            expected = set(permissions.accounts_for(person, perm).values_list("pk", flat=True))
            assert {pk for pk, rights in held.items() if perm in rights} == expected, (
                person,
                perm,
            )
    assert permissions.rights_held(org.outsider) == {org.mastodon.pk: frozenset({P.PUBLISH})}
    assert permissions.rights_held(granted) == {org.bluesky.pk: frozenset({P.WAIVE})}
    assert closed.pk not in permissions.rights_held(boss)
    assert permissions.rights_held(boss)[org.mastodon.pk] == frozenset(P)
    assert permissions.rights_held(people[-1]) == {}

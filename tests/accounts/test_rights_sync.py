"""Rights derived from what explains them: the command that finds drift, and the paths the
walk does not take (units and accounts moving, deletions, who is named in the audit)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts import permissions, services
from accounts.models import Membership, OrgUnit, SocialAccount, User
from editorial.models import AuditEvent
from tests.conftest import Org
from tests.factories import drop_permission_row, make_account, make_unit, make_user

P = permissions.Perm


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def _check(*args: str) -> str:
    out = StringIO()
    call_command("check_permissions", *args, stdout=out)
    return out.getvalue()


def _stale_reviewer(org: Org) -> User:
    """A reviewer whose membership went by ``queryset.update`` (no signal): rows outlive it."""
    leaver = make_user(username="leaver")
    services.membership_create(user=leaver, unit=org.service, role=Membership.Role.REVIEWER)
    Membership.objects.filter(user=leaver).update(role=Membership.Role.AUTHOR)
    return leaver


def test_check_permissions_clean_database_exits_zero(org: Org) -> None:
    assert "nothing to do" in _check()


def test_check_permissions_reports_unexplained_rows_and_fails(org: Org) -> None:
    _stale_reviewer(org)
    with pytest.raises(CommandError, match="2 unexplained row"):
        _check()
    # The report alone changes nothing.
    assert permissions.can(_fresh(User.objects.get(username="leaver")), P.REVIEW, org.mastodon)


def test_check_permissions_lists_each_row(org: Org) -> None:
    _stale_reviewer(org)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_permissions", stdout=out)
    lines = out.getvalue().splitlines()
    pk = User.objects.get(username="leaver").pk
    assert sum(line.startswith(f"leaver (#{pk}): unexplained: review on ") for line in lines) == 2
    assert sum("missing: draft on" in line for line in lines) == 2


def test_check_permissions_reports_missing_rows(org: Org) -> None:
    drop_permission_row(org.manager, P.REVIEW, org.bluesky)
    with pytest.raises(CommandError, match=r"0 unexplained row.*1 missing row"):
        _check()


def test_check_permissions_fix_repairs_and_says_what(org: Org) -> None:
    leaver = _stale_reviewer(org)
    out = _check("--fix")
    assert out.count("removed: review on") == 2 and out.count("added: draft on") == 2
    assert "Repaired 2 unexplained row(s), 2 missing row(s) for 1 person(s)." in out
    leaver = _fresh(leaver)
    assert not permissions.can(leaver, P.REVIEW, org.mastodon)
    assert permissions.can(leaver, P.DRAFT, org.mastodon)
    event = AuditEvent.objects.get(verb="rights_revoked")
    assert event.actor is None and event.data["cause"] == "check_permissions"
    assert "nothing to do" in _check()


def test_check_permissions_finds_rows_on_a_deleted_account(org: Org) -> None:
    account = make_account(org.service, "mastodon", handle="ephemere")
    pk = account.pk
    # A raw delete sends no signal: guardian's rows (a generic key) stay behind.
    SocialAccount.objects.filter(pk=pk)._raw_delete(SocialAccount.objects.db)
    with pytest.raises(CommandError, match="unexplained"):
        _check()
    assert f"deleted account #{pk}" in _check("--fix")
    assert "nothing to do" in _check()


def test_rights_account_deleted_takes_its_rows(org: Org) -> None:
    account = make_account(org.service, "mastodon", handle="ephemere")
    account.delete()
    assert "nothing to do" in _check()


def test_rights_account_moved_to_another_unit_follows_it(org: Org) -> None:
    other = OrgUnit.objects.get(code="autre")
    org.mastodon.unit = other
    org.mastodon.save()
    assert not permissions.can(_fresh(org.manager), P.REVIEW, org.mastodon)
    assert permissions.can(_fresh(org.outsider), P.DRAFT, org.mastodon)


def test_rights_unit_moved_in_the_tree_follows_it(org: Org) -> None:
    director = make_user()
    services.membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    elsewhere = make_unit(code="ailleurs")
    org.service.parent = elsewhere
    org.service.save()
    assert not permissions.can(_fresh(director), P.REVIEW, org.mastodon)
    assert permissions.can(_fresh(org.manager), P.REVIEW, org.mastodon)  # inside, unchanged


def test_rights_user_reactivated_gets_them_back(org: Org) -> None:
    services.user_set_active(user=org.manager, active=False, by=None)
    assert not permissions.users_with(P.REVIEW, org.mastodon)
    services.user_set_active(user=org.manager, active=True, by=None)
    assert permissions.can(_fresh(org.manager), P.REVIEW, org.mastodon)


def test_rights_deleting_a_user_leaves_no_row_and_no_error(org: Org) -> None:
    org.manager.delete()
    assert "nothing to do" in _check()


def test_rights_role_change_into_a_role_already_held_merges(org: Org) -> None:
    reviewer = Membership.objects.get(user=org.manager, role=Membership.Role.REVIEWER)
    kept = services.membership_change_role(
        membership=reviewer, role=Membership.Role.PUBLISHER, by=None
    )
    assert list(Membership.objects.filter(user=org.manager)) == [kept]
    assert not permissions.can(_fresh(org.manager), P.REVIEW, org.mastodon)


def test_rights_services_refuse_who_does_not_administer_the_unit(org: Org) -> None:
    from django.core.exceptions import PermissionDenied

    membership = Membership.objects.get(user=org.officer)
    with pytest.raises(PermissionDenied):
        services.membership_delete(membership=membership, by=org.manager)
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_rights_services_refuse_an_unknown_role_in_words(org: Org) -> None:
    membership = Membership.objects.get(user=org.officer)
    with pytest.raises(services.OrganisationError, match="Unknown role chef"):
        services.membership_change_role(membership=membership, role="chef", by=None)


def test_rights_revoked_in_admin_are_audited_under_the_administrator(org: Org) -> None:
    root = make_user(username="root", is_staff=True, is_superuser=True)
    membership = Membership.objects.get(user=org.manager, role=Membership.Role.REVIEWER)
    client = Client()
    client.force_login(root)
    url = reverse("admin:accounts_membership_delete", args=[membership.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(verb="rights_revoked")
    # The admin goes through the membership service: the cause is its word.
    assert event.actor == root and event.data["cause"] == "membership_deleted"
    assert event.data["person"] == {"id": org.manager.pk, "name": str(org.manager)}
    assert sorted(r["account"]["id"] for r in event.data["rights"]) == sorted(
        [org.mastodon.pk, org.bluesky.pk]
    )
    assert {r["right"] for r in event.data["rights"]} == {"review"}


def test_rights_grant_survives_a_membership_change(org: Org) -> None:
    permissions.grant(org.officer, P.PUBLISH, org.bluesky)
    membership = Membership.objects.get(user=org.officer)
    services.membership_delete(membership=membership, by=None)
    officer = _fresh(org.officer)
    assert permissions.can(officer, P.PUBLISH, org.bluesky)
    assert not permissions.can(officer, P.DRAFT, org.bluesky)


def test_rights_grant_revoked_is_audited_with_who_and_why(org: Org) -> None:
    root = make_user(username="root", is_superuser=True)
    permissions.grant(org.officer, P.PUBLISH, org.bluesky, by=root)
    permissions.revoke(org.officer, P.PUBLISH, org.bluesky, by=root)
    event = AuditEvent.objects.get(verb="rights_revoked")
    assert event.actor == root and event.data["cause"] == "account_grant_ended"
    assert event.data["rights"] == [
        {"account": {"id": org.bluesky.pk, "name": org.bluesky.handle}, "right": "publish"}
    ]


def test_check_permissions_reports_and_removes_a_group_row(org: Org) -> None:
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    group = Group.objects.create(name="cabinet")
    org.outsider.groups.add(group)
    assign_perm(P.REVIEW.value, group, org.mastodon)
    assert permissions.can(_fresh(org.outsider), P.REVIEW, org.mastodon)
    with pytest.raises(CommandError, match="1 unexplained row"):
        _check()
    assert f"group cabinet: removed: review on {org.mastodon}" in _check("--fix")
    assert not permissions.can(_fresh(org.outsider), P.REVIEW, org.mastodon)
    assert "nothing to do" in _check()

"""Freeze scope (#13): one ministry among several cannot freeze (nor keep frozen) the others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, OrgUnit, SocialAccount, User
from accounts.services import membership_create
from editorial import selectors, services
from editorial.models import AuditEvent, Freeze
from tests.conftest import Org
from tests.factories import make_account, make_unit, make_user


@dataclass
class TwoMinistries:
    org: Org  # the first ministry (org.ministry), its service and accounts
    other: OrgUnit  # a second top-level unit, side by side with the first
    other_account: SocialAccount
    first_admin: User  # administrator of the first ministry
    other_admin: User  # administrator of the second ministry
    other_publisher: User  # publisher in the second ministry


@pytest.fixture
def two(org: Org) -> TwoMinistries:
    other = make_unit(name="Ministère voisin", code="mvo", kind=OrgUnit.Kind.MINISTRY)
    account = make_account(other, "mastodon")
    first_admin = make_user(username="admin-mex")
    other_admin = make_user(username="admin-mvo")
    publisher = make_user(username="pub-mvo")
    membership_create(user=first_admin, unit=org.ministry, role=Membership.Role.ADMIN)
    membership_create(user=other_admin, unit=other, role=Membership.Role.ADMIN)
    membership_create(user=publisher, unit=other, role=Membership.Role.PUBLISHER)
    return TwoMinistries(org, other, account, first_admin, other_admin, publisher)


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def test_freeze_scope_org_wide_refused_to_the_admin_of_one_ministry_among_several(
    two: TwoMinistries,
) -> None:
    for admin in (two.first_admin, two.other_admin):
        with pytest.raises(PermissionDenied, match="administrator of the organisation"):
            services.freeze_create(account=None, reason="Crise", by=admin)
    assert not Freeze.objects.exists()
    assert not AuditEvent.objects.filter(verb="frozen").exists()


def test_freeze_scope_page_does_not_offer_the_organisation_to_a_ministry_admin(
    two: TwoMinistries,
) -> None:
    client = _client(two.other_admin)
    page = client.get(reverse("editorial:freezes")).content.decode()
    assert "The whole organisation" not in page
    response = client.post(reverse("editorial:freezes"), {"account": "", "reason": "Crise"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Freeze.objects.exists()


def test_freeze_scope_ministry_admin_freezes_only_its_own_accounts(two: TwoMinistries) -> None:
    with pytest.raises(PermissionDenied):
        services.freeze_create(account=two.org.mastodon, reason="Crise", by=two.other_admin)
    freeze = services.freeze_create(account=two.other_account, reason="Crise", by=two.other_admin)
    state = selectors.freeze_state()
    assert not state.org_wide
    assert state.account_ids == frozenset({two.other_account.pk})
    assert not state.blocks({two.org.mastodon.pk, two.org.bluesky.pk})
    assert freeze.account == two.other_account


def test_freeze_scope_org_wide_freeze_cannot_be_lifted_by_a_ministry(two: TwoMinistries) -> None:
    chief = make_user(username="sgg", is_superuser=True, is_staff=True)
    freeze = services.freeze_create(account=None, reason="Deuil national", by=chief)
    for user in (two.other_admin, two.other_publisher, two.first_admin, two.org.manager):
        with pytest.raises(PermissionDenied):
            services.freeze_lift(freeze=freeze, by=user)
        response = _client(user).post(reverse("editorial:freeze_lift", args=[freeze.pk]))
        assert response.status_code in (302, 403, 404)
    freeze.refresh_from_db()
    assert freeze.is_active
    services.freeze_lift(freeze=freeze, by=chief)
    assert not selectors.freeze_state().org_wide


def test_freeze_scope_org_wide_allowed_to_a_holder_of_the_organisation_permission(
    two: TwoMinistries,
) -> None:
    cell = make_user(username="cellule-crise")
    cell.user_permissions.add(Permission.objects.get(codename="freeze_organisation"))
    cell = User.objects.get(pk=cell.pk)  # permissions are cached on the instance
    freeze = services.freeze_create(account=None, reason="Deuil national", by=cell)
    assert selectors.freeze_state().org_wide
    services.freeze_lift(freeze=freeze, by=cell)


def test_freeze_scope_sole_root_admin_speaks_for_the_organisation(org: Org) -> None:
    admin = make_user(username="admin-root")
    membership_create(user=admin, unit=org.ministry, role=Membership.Role.ADMIN)
    assert services.organisation_admin(admin)
    make_unit(name="Ministère voisin", code="mvo", kind=OrgUnit.Kind.MINISTRY)
    assert not services.organisation_admin(admin)


def test_freeze_scope_inactive_superuser_may_not_freeze(org: Org) -> None:
    chief = make_user(username="sgg", is_superuser=True, is_active=False)
    assert not services.organisation_admin(chief)
    assert not services.may_freeze(chief, None)

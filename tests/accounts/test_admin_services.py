"""The Django admin writes the organisation through the services: every change is recorded.

Each test drives the real admin pages as a superuser (forms, inlines, bulk actions) and then
reads the audit trail: the event names the administrator and says what changed, before and
after; the rights follow as before. Where a service is the only door (delegations), the admin
refuses to write.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts import organisation, permissions, services
from accounts.models import AccountGrant, Membership, OrgUnit, SocialAccount, User
from editorial.models import AuditEvent
from tests.admin_forms import admin_form_data
from tests.conftest import Org
from tests.factories import make_delegation, make_user

P = permissions.Perm


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


def _event(verb: str) -> AuditEvent:
    return AuditEvent.objects.get(verb=verb)


def _other_unit(org: Org) -> OrgUnit:
    return OrgUnit.objects.get(code="autre")


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


# --- memberships -------------------------------------------------------------------------------


def test_admin_membership_added_is_recorded_and_gives_the_rights(
    org: Org, root: User, client: Client
) -> None:
    data = {"user": org.outsider.pk, "unit": org.service.pk, "role": Membership.Role.REVIEWER}
    _post(client, _url("accounts_membership_add"), data)
    event = _event("membership_created")
    assert event.actor == root
    assert event.data["person"] == {"id": org.outsider.pk, "name": str(org.outsider)}
    assert event.data["unit"]["code"] == "sicom" and event.data["role"] == "reviewer"
    assert permissions.can(_fresh(org.outsider), P.REVIEW, org.mastodon)


def test_admin_membership_role_changed_is_recorded_before_and_after(
    org: Org, root: User, client: Client
) -> None:
    membership = Membership.objects.get(user=org.officer)
    url = _url("accounts_membership_change", membership.pk)
    _post(client, url, admin_form_data(client, url) | {"role": Membership.Role.PUBLISHER})
    event = _event("membership_role_changed")
    assert event.actor == root
    assert (event.data["before"]["role"], event.data["after"]["role"]) == ("author", "publisher")
    assert permissions.can(_fresh(org.officer), P.PUBLISH, org.mastodon)


def test_admin_membership_moved_is_recorded_and_the_old_rights_end(
    org: Org, root: User, client: Client
) -> None:
    membership = Membership.objects.get(user=org.officer)
    url = _url("accounts_membership_change", membership.pk)
    _post(client, url, admin_form_data(client, url) | {"unit": _other_unit(org).pk})
    event = _event("membership_moved")
    assert event.actor == root
    assert (event.data["before"]["unit"]["code"], event.data["after"]["unit"]["code"]) == (
        "sicom",
        "autre",
    )
    assert not permissions.can(_fresh(org.officer), P.DRAFT, org.mastodon)
    revoked = _event("rights_revoked")
    assert revoked.actor == root and revoked.data["cause"] == "membership_moved"


def test_admin_membership_bulk_delete_records_each_row(
    org: Org, root: User, client: Client
) -> None:
    rows = list(Membership.objects.filter(user=org.manager).order_by("pk"))
    data = {"action": "delete_selected", "_selected_action": [m.pk for m in rows], "post": "yes"}
    _post(client, _url("accounts_membership_changelist"), data)
    events = AuditEvent.objects.filter(verb="membership_deleted").order_by("seq")
    assert sorted(e.data["membership_id"] for e in events) == [m.pk for m in rows]
    assert {e.actor_id for e in events} == {root.pk}
    assert not permissions.can(_fresh(org.manager), P.REVIEW, org.mastodon)


def test_admin_unit_inline_adds_and_removes_members_through_the_services(
    org: Org, root: User, client: Client
) -> None:
    url = _url("accounts_orgunit_change", org.service.pk)
    data = admin_form_data(client, url)
    rows = list(org.service.memberships.order_by("pk"))
    officer_row = next(i for i, m in enumerate(rows) if m.user_id == org.officer.pk)
    extra = len(rows)  # the blank row the inline offers
    data |= {
        f"memberships-{officer_row}-DELETE": "on",
        f"memberships-{extra}-user": org.outsider.pk,
        f"memberships-{extra}-role": Membership.Role.AUTHOR,
    }
    _post(client, url, data)
    deleted, created = _event("membership_deleted"), _event("membership_created")
    assert deleted.actor == root and deleted.data["person"]["id"] == org.officer.pk
    assert created.actor == root and created.data["person"]["id"] == org.outsider.pk
    assert not Membership.objects.filter(user=org.officer).exists()
    assert permissions.can(_fresh(org.outsider), P.DRAFT, org.mastodon)


# --- units -------------------------------------------------------------------------------------


def test_admin_unit_created_and_renamed_are_recorded(org: Org, root: User, client: Client) -> None:
    add = _url("accounts_orgunit_add")
    data = {"name": "Bureau presse", "code": "presse", "kind": "service", "parent": org.ministry.pk}
    _post(client, add, admin_form_data(client, add) | data)
    unit = OrgUnit.objects.get(code="presse")
    created = _event("unit_created")
    assert created.actor == root and created.data["fields"]["parent"]["code"] == "mex"
    url = _url("accounts_orgunit_change", unit.pk)
    _post(client, url, admin_form_data(client, url) | {"name": "Bureau de presse"})
    changed = _event("unit_changed")
    assert changed.data["changes"] == {
        "name": {"before": "Bureau presse", "after": "Bureau de presse"}
    }


def test_admin_unit_deleted_is_recorded_with_its_members_rights(
    org: Org, root: User, client: Client
) -> None:
    other = _other_unit(org)
    _post(client, _url("accounts_orgunit_delete", other.pk), {"post": "yes"})
    event = _event("unit_deleted")
    assert event.actor == root and event.data["unit"]["code"] == "autre"
    assert not OrgUnit.objects.filter(pk=other.pk).exists()


# --- people ------------------------------------------------------------------------------------


def test_admin_user_created_then_changed_is_recorded_without_the_password(
    root: User, client: Client
) -> None:
    data = {
        "username": "nouvelle",
        "usable_password": "true",
        "password1": "Un-mot-de-passe-tres-long-42",
        "password2": "Un-mot-de-passe-tres-long-42",
    }
    _post(client, _url("accounts_user_add"), data)
    user = User.objects.get(username="nouvelle")
    created = _event("user_created")
    assert created.actor == root and created.data["person"]["id"] == user.pk
    url = _url("accounts_user_change", user.pk)
    _post(client, url, admin_form_data(client, url) | {"first_name": "Claire"})
    changed = _event("user_changed")
    assert changed.data["changes"] == {"first_name": {"before": "", "after": "Claire"}}
    recorded = json.dumps([created.data, changed.data])
    assert "Un-mot-de-passe" not in recorded and user.password not in recorded


def test_admin_user_groups_changed_are_recorded(org: Org, root: User, client: Client) -> None:
    from django.contrib.auth.models import Group

    cabinet = Group.objects.create(name="Cabinet")
    url = _url("accounts_user_change", org.officer.pk)
    _post(client, url, admin_form_data(client, url) | {"groups": [cabinet.pk]})
    event = _event("user_changed")
    assert event.actor == root
    assert event.data["changes"] == {"groups": {"before": [], "after": ["Cabinet"]}}
    assert list(_fresh(org.officer).groups.all()) == [cabinet]


def test_admin_password_change_is_recorded_never_the_password(
    org: Org, root: User, client: Client
) -> None:
    url = _url("auth_user_password_change", org.officer.pk)
    secret = "Encore-un-mot-de-passe-long-7"
    _post(client, url, {"password1": secret, "password2": secret, "usable_password": "true"})
    event = _event("user_changed")
    assert event.actor == root and set(event.data["changes"]) == {"password"}
    assert secret not in json.dumps(event.data)
    assert _fresh(org.officer).check_password(secret)


def test_admin_user_deactivated_is_recorded_and_loses_every_right(
    org: Org, root: User, client: Client
) -> None:
    url = _url("accounts_user_change", org.manager.pk)
    data = admin_form_data(client, url)
    del data["is_active"]
    _post(client, url, data)
    event = _event("user_deactivated")
    assert event.actor == root and (event.data["before"], event.data["after"]) == (True, False)
    assert not AuditEvent.objects.filter(verb="user_changed").exists()
    assert not permissions.can(_fresh(org.manager), P.REVIEW, org.mastodon)


def test_admin_user_cannot_be_deleted_only_deactivated(org: Org, client: Client) -> None:
    assert client.get(_url("accounts_user_delete", org.officer.pk)).status_code == 403


def test_admin_giving_the_superuser_flag_is_a_superusers_act(org: Org) -> None:
    head = make_user(username="chef")
    services.membership_create(user=head, unit=org.ministry, role=Membership.Role.ADMIN)
    officer = _fresh(org.officer)
    officer.is_superuser = True
    with pytest.raises(PermissionDenied):
        organisation.user_save(user=officer, by=head)
    assert not _fresh(org.officer).is_superuser


# --- social accounts ---------------------------------------------------------------------------


def test_admin_account_change_is_recorded_without_the_secret(
    org: Org, root: User, client: Client
) -> None:
    url = _url("accounts_socialaccount_change", org.mastodon.pk)
    data = admin_form_data(client, url) | {
        "byline_template": "— {initials}, service com",
        "secret": "nouveau-jeton-secret",
    }
    _post(client, url, data)
    event = _event("account_changed")
    assert event.actor == root
    assert event.data["changes"]["byline_template"]["after"] == "— {initials}, service com"
    assert "credentials" in event.data["changes"]
    assert "nouveau-jeton-secret" not in json.dumps(event.data)
    account = SocialAccount.objects.get(pk=org.mastodon.pk)
    assert account.get_credentials() == {"secret": "nouveau-jeton-secret"}


def test_admin_account_deactivated_is_recorded_and_its_rights_end(
    org: Org, root: User, client: Client
) -> None:
    url = _url("accounts_socialaccount_change", org.bluesky.pk)
    data = admin_form_data(client, url)
    del data["is_active"]
    _post(client, url, data)
    event = _event("account_changed")
    assert event.data["changes"]["is_active"] == {"before": True, "after": False}
    assert not permissions.can(
        _fresh(org.manager), P.REVIEW, SocialAccount.objects.get(pk=org.bluesky.pk)
    )


def test_admin_account_created_is_recorded_with_its_unit(
    org: Org, root: User, client: Client
) -> None:
    data = {
        "network": "mastodon",
        "server_url": "https://social.example.gouv.fr",
        "handle": "nouveau",
        "unit": org.service.pk,
        "max_characters": "500",
        "characters_reserved_per_url": "23",
        "is_active": "on",
        "secret": "jeton",
    }
    add = _url("accounts_socialaccount_add")
    _post(client, add, admin_form_data(client, add) | data)
    event = _event("account_created")
    assert event.actor == root and event.data["fields"]["unit"]["code"] == "sicom"
    account = SocialAccount.objects.get(handle="nouveau")
    assert permissions.can(_fresh(org.manager), P.REVIEW, account)


def test_admin_account_cannot_be_deleted(org: Org, client: Client) -> None:
    assert client.get(_url("accounts_socialaccount_delete", org.mastodon.pk)).status_code == 403


# --- rights on one account ---------------------------------------------------------------------


def test_admin_grant_given_and_bulk_ended_are_recorded(
    org: Org, root: User, client: Client
) -> None:
    data = {"user": org.officer.pk, "account": org.bluesky.pk, "right": "publish_on_account"}
    _post(client, _url("accounts_accountgrant_add"), data)
    grant = AccountGrant.objects.get(user=org.officer)
    assert grant.granted_by == root
    given = _event("grant_created")
    assert given.actor == root and given.data["right"] == "publish_on_account"
    assert permissions.can(_fresh(org.officer), P.PUBLISH, org.bluesky)
    bulk = {"action": "delete_selected", "_selected_action": [grant.pk], "post": "yes"}
    _post(client, _url("accounts_accountgrant_changelist"), bulk)
    ended = _event("grant_deleted")
    assert ended.actor == root and ended.data["grant_id"] == grant.pk
    assert not permissions.can(_fresh(org.officer), P.PUBLISH, org.bluesky)


def test_admin_grant_is_never_changed_in_place(org: Org, root: User, client: Client) -> None:
    grant = organisation.account_grant_create(
        user=org.officer, account=org.bluesky, right="publish_on_account", by=root
    )
    url = _url("accounts_accountgrant_change", grant.pk)
    response = client.post(url, {"user": org.outsider.pk, "account": org.bluesky.pk})
    assert response.status_code == 403
    assert AccountGrant.objects.get(pk=grant.pk).user == org.officer


# --- delegations: the members' own page is the door --------------------------------------------


def test_admin_delegations_are_read_only(org: Org, client: Client, frozen_now: Any) -> None:
    today = frozen_now.date()
    delegation = make_delegation(org.manager, org.officer, today, today)
    assert client.get(_url("accounts_delegation_changelist")).status_code == 200
    assert client.get(_url("accounts_delegation_change", delegation.pk)).status_code == 200
    assert client.get(_url("accounts_delegation_add")).status_code == 403
    assert (
        client.post(_url("accounts_delegation_delete", delegation.pk), {"post": "yes"}).status_code
        == 403
    )
    response = client.post(
        _url("accounts_delegation_change", delegation.pk),
        {"from_user": org.officer.pk, "to_user": org.manager.pk},
    )
    assert response.status_code == 403


# --- every page of the admin still opens -------------------------------------------------------


def test_admin_every_registered_page_opens_or_refuses_to_write(org: Org, client: Client) -> None:
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = client.get(_url(f"{meta.app_label}_{meta.model_name}_changelist"))
        assert changelist.status_code == 200, meta.label
        add = client.get(_url(f"{meta.app_label}_{meta.model_name}_add"))
        assert add.status_code in {200, 403}, meta.label
        assert (add.status_code == 200) == model_admin.has_add_permission(
            changelist.wsgi_request
        ), meta.label
        first = model._default_manager.first()
        if first is not None:
            change = client.get(_url(f"{meta.app_label}_{meta.model_name}_change", first.pk))
            assert change.status_code == 200, meta.label

"""Freezes: who may freeze, the reason, the audit trail, and the Freezes page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import selectors, services
from editorial.models import AuditEvent, Freeze
from tests.conftest import Org
from tests.factories import make_user


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _root_admin(org: Org) -> User:
    admin = make_user(username="cabinet")
    membership_create(user=admin, unit=org.ministry, role=Membership.Role.ADMIN)
    return admin


def test_freeze_create_requires_a_reason(org: Org) -> None:
    with pytest.raises(services.EditorialError, match="a reason is required"):
        services.freeze_create(account=org.mastodon, reason="   ", by=org.manager)
    assert not Freeze.objects.exists()


def test_freeze_create_refused_without_publish_grant(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        services.freeze_create(account=org.mastodon, reason="Crise", by=org.officer)


def test_freeze_create_org_wide_refused_to_a_unit_publisher(org: Org) -> None:
    with pytest.raises(PermissionDenied, match="administrator of the organisation"):
        services.freeze_create(account=None, reason="Crise", by=org.manager)


def test_freeze_create_org_wide_allowed_to_a_root_admin(org: Org) -> None:
    freeze = services.freeze_create(account=None, reason="Deuil national", by=_root_admin(org))
    assert freeze.is_active
    assert selectors.freeze_state().org_wide


def test_freeze_create_is_audited(org: Org) -> None:
    freeze = services.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    event = AuditEvent.objects.get(verb="frozen")
    assert event.post is None
    assert event.actor == org.manager
    assert event.data == {
        "freeze_id": freeze.pk,
        "account": {"id": org.mastodon.pk, "name": str(org.mastodon)},
        "reason": "Piratage",
    }


def test_freeze_create_refuses_a_second_active_freeze(org: Org) -> None:
    services.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    with pytest.raises(services.EditorialError, match="already frozen"):
        services.freeze_create(account=org.mastodon, reason="Encore", by=org.manager)


def test_freeze_lift_is_audited_and_ends_the_freeze(org: Org) -> None:
    freeze = services.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    services.freeze_lift(freeze=freeze, by=org.manager)
    freeze.refresh_from_db()
    event = AuditEvent.objects.get(verb="unfrozen")
    assert freeze.lifted_by == org.manager and freeze.lifted_at is not None
    assert event.actor == org.manager
    assert event.data["reason"] == "Piratage"
    assert selectors.freeze_state().account_ids == frozenset()


def test_freeze_lift_refused_without_publish_grant(org: Org) -> None:
    freeze = services.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    with pytest.raises(PermissionDenied):
        services.freeze_lift(freeze=freeze, by=org.officer)
    freeze.refresh_from_db()
    assert freeze.is_active


def test_freeze_lift_twice_refused(org: Org) -> None:
    freeze = services.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    services.freeze_lift(freeze=freeze, by=org.manager)
    with pytest.raises(services.EditorialError, match="already lifted"):
        services.freeze_lift(freeze=freeze, by=org.manager)


def test_freeze_state_lists_frozen_accounts(org: Org) -> None:
    services.freeze_create(account=org.bluesky, reason="Piratage", by=org.manager)
    state = selectors.freeze_state()
    assert not state.org_wide
    assert state.blocks({org.mastodon.pk, org.bluesky.pk})
    assert not state.blocks({org.mastodon.pk})


def test_freezes_page_renders_for_a_publisher(org: Org) -> None:
    services.freeze_create(account=org.mastodon, reason="Piratage du compte", by=org.manager)
    response = _client(org.manager).get(reverse("editorial:freezes"))
    assert response.status_code == 200
    assert "Piratage du compte" in response.content.decode()
    assert 'id="freeze"' in response.content.decode()


def test_freezes_page_refused_to_outsider(org: Org) -> None:
    response = _client(org.outsider).get(reverse("editorial:freezes"))
    assert response.status_code == 403


def test_freezes_page_freeze_and_lift_through_post(org: Org) -> None:
    client = _client(org.manager)
    response = client.post(
        reverse("editorial:freezes"), {"account": org.mastodon.pk, "reason": "Piratage"}
    )
    assert response.status_code == 302
    freeze = Freeze.objects.get()
    assert freeze.account == org.mastodon and freeze.frozen_by == org.manager
    response = client.post(reverse("editorial:freeze_lift", args=[freeze.pk]))
    assert response.status_code == 302
    freeze.refresh_from_db()
    assert not freeze.is_active


def test_freezes_page_org_wide_needs_a_root_admin(org: Org) -> None:
    response = _client(org.manager).post(reverse("editorial:freezes"), {"reason": "Crise"})
    assert response.status_code == 200
    assert not Freeze.objects.exists()
    _client(_root_admin(org)).post(reverse("editorial:freezes"), {"reason": "Crise"})
    assert Freeze.objects.get().account is None


def test_freezes_page_outsider_cannot_lift(org: Org) -> None:
    freeze = services.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    response = _client(org.outsider).post(reverse("editorial:freeze_lift", args=[freeze.pk]))
    assert response.status_code == 404
    freeze.refresh_from_db()
    assert freeze.is_active


def test_freeze_banner_shown_to_users_of_the_account(org: Org) -> None:
    services.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    page = _client(org.officer).get(reverse("editorial:dashboard")).content.decode()
    assert f"Publishing is frozen on {org.mastodon}" in page


def test_freeze_banner_hidden_from_other_units(org: Org) -> None:
    services.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    page = _client(org.outsider).get(reverse("editorial:dashboard")).content.decode()
    assert "Publishing is frozen" not in page


def test_freeze_banner_org_wide_shown_to_everyone(org: Org) -> None:
    services.freeze_create(account=None, reason="Deuil national", by=_root_admin(org))
    page = _client(org.outsider).get(reverse("editorial:dashboard")).content.decode()
    assert "Publishing is frozen on the whole organisation" in page


def test_freezes_nav_link_only_for_publishers(org: Org) -> None:
    url = reverse("editorial:freezes")
    assert url in _client(org.manager).get(reverse("editorial:dashboard")).content.decode()
    assert url not in _client(org.officer).get(reverse("editorial:dashboard")).content.decode()

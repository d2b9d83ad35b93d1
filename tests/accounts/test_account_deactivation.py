"""A deactivated social account explains no right: its rows end in the deactivating
transaction, audited; its scheduled posts are held and the hold is told to the publishers who
held the right until then; their authors (and its publishers) can still withdraw them;
reactivating it restores what the memberships and grants explain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts import permissions, services
from accounts.models import Membership, SocialAccount, User
from editorial import services as editorial
from editorial.models import AuditEvent, Notification, Post, PostState
from tests.conftest import Org
from tests.factories import make_user

P = permissions.Perm
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
MONDAY = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cached on the instance


def _client(user: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _deactivate_by_service(org: Org, root: User) -> None:
    services.social_account_set_active(account=org.mastodon, active=False, by=root)


def _deactivate_in_admin(org: Org, root: User) -> None:
    account = org.mastodon
    data = {
        "network": account.network,
        "server_url": account.server_url,
        "handle": account.handle,
        "unit": account.unit_id,
        "byline_template": account.byline_template,
        "max_characters": account.max_characters,
        "characters_reserved_per_url": account.characters_reserved_per_url,
        # "is_active" left out: the checkbox unticked.
    }
    url = reverse("admin:accounts_socialaccount_change", args=[account.pk])
    response = _client(root).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


WAYS: dict[str, Callable[[Org, User], None]] = {
    "service": _deactivate_by_service,
    "admin change form": _deactivate_in_admin,
}


@pytest.fixture
def root(org: Org) -> User:
    return make_user(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def publishers(org: Org) -> tuple[User, User]:
    """A publisher of the service by membership and one by a per-account grant: neither wrote,
    approved nor scheduled the post, so only their right on the account can name them."""
    member = make_user(username="pub_member")
    services.membership_create(user=member, unit=org.service, role=Membership.Role.PUBLISHER)
    grantee = make_user(username="pub_grantee")
    permissions.grant(grantee, P.PUBLISH, org.mastodon)
    return member, grantee


def _scheduled(org: Org, time_machine: Any) -> Post:
    time_machine.move_to(NOW, tick=False)
    post = editorial.post_create(
        by=org.officer, accounts=[org.mastodon], text="Ouverture du guichet unique lundi."
    )
    editorial.post_submit(post=post, by=org.officer)
    editorial.post_approve(post=post, by=org.manager, revision=1)
    editorial.post_schedule(post=post, by=org.manager, at=MONDAY)
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    return post


@pytest.mark.parametrize("deactivate", WAYS.values(), ids=WAYS.keys())
def test_account_deactivated_ends_every_right_on_it_audited(
    org: Org, root: User, publishers: tuple[User, User], deactivate: Callable[[Org, User], None]
) -> None:
    member, grantee = publishers
    assert permissions.can(_fresh(grantee), P.PUBLISH, org.mastodon)
    assert permissions.can(_fresh(org.manager), P.REVIEW, org.mastodon)
    deactivate(org, root)
    org.mastodon.refresh_from_db()
    assert not org.mastodon.is_active
    for user in (org.officer, org.manager, member, grantee):
        held = {pk for pk, _perm in permissions.held_rows(user)}
        assert org.mastodon.pk not in held
        for perm in P:
            assert not permissions.can(_fresh(user), perm, org.mastodon)
    # The other account of the unit keeps its rights.
    assert permissions.can(_fresh(org.manager), P.PUBLISH, org.bluesky)
    revoked = AuditEvent.objects.filter(verb="rights_revoked", data__person__id=grantee.pk)
    event = revoked.get()
    assert event.data["cause"] == "account_deactivated"
    assert event.actor == root
    assert event.data["rights"] == [
        {"account": {"id": org.mastodon.pk, "name": org.mastodon.handle}, "right": "publish"}
    ]
    # check_permissions agrees: an inactive account with no rows is no drift.
    assert permissions.drift() == []
    out = StringIO()
    call_command("check_permissions", stdout=out)


def test_account_reactivated_gets_back_what_memberships_and_grants_explain(
    org: Org, root: User, publishers: tuple[User, User]
) -> None:
    member, grantee = publishers
    services.social_account_set_active(account=org.mastodon, active=False, by=root)
    assert not permissions.can(_fresh(member), P.PUBLISH, org.mastodon)
    # Meanwhile the member leaves: reactivation must not bring their right back.
    Membership.objects.filter(user=member).delete()
    services.social_account_set_active(account=org.mastodon, active=True, by=root)
    org.mastodon.refresh_from_db()
    assert permissions.can(_fresh(grantee), P.PUBLISH, org.mastodon)
    assert permissions.can(_fresh(org.officer), P.DRAFT, org.mastodon)
    assert permissions.can(_fresh(org.manager), P.PUBLISH, org.mastodon)
    assert not permissions.can(_fresh(member), P.PUBLISH, org.mastodon)
    assert permissions.drift() == []


def test_can_refuses_on_an_inactive_account_even_with_a_drifted_row(org: Org) -> None:
    # ``queryset.update`` sends no signal: the rows stay until check_permissions --fix.
    SocialAccount.objects.filter(pk=org.mastodon.pk).update(is_active=False)
    org.mastodon.refresh_from_db()
    assert (org.mastodon.pk, P.PUBLISH) in permissions.held_rows(org.manager)
    assert not permissions.can(_fresh(org.manager), P.PUBLISH, org.mastodon)
    assert [d.user for d in permissions.drift()]  # reported, for --fix to remove


def test_account_deactivation_service_refuses_who_does_not_administer_it(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        services.social_account_set_active(account=org.mastodon, active=False, by=org.manager)
    org.mastodon.refresh_from_db()
    assert org.mastodon.is_active
    assert permissions.can(_fresh(org.manager), P.PUBLISH, org.mastodon)


@pytest.mark.parametrize("deactivate", WAYS.values(), ids=WAYS.keys())
def test_account_deactivated_holds_its_posts_and_tells_the_publishers_who_held_the_right(
    org: Org,
    root: User,
    publishers: tuple[User, User],
    time_machine: Any,
    deactivate: Callable[[Org, User], None],
) -> None:
    post = _scheduled(org, time_machine)
    deactivate(org, root)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert "deactivated" in post.hold_reason
    told = set(
        Notification.objects.filter(post=post, kind=Notification.Kind.CHARTER_HOLD).values_list(
            "recipient__username", flat=True
        )
    )
    # The author, the approver who scheduled, and both publishers whose rights just ended.
    assert told == {"officer", "manager", "pub_member", "pub_grantee"}
    assert org.outsider.username not in told


@pytest.mark.parametrize("deactivate", WAYS.values(), ids=WAYS.keys())
def test_post_held_by_deactivation_withdrawn_by_its_author(
    org: Org, root: User, time_machine: Any, deactivate: Callable[[Org, User], None]
) -> None:
    post = _scheduled(org, time_machine)
    deactivate(org, root)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    # The page offers it, and the form does it.
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk]))
    assert page.status_code == 200
    assert reverse("editorial:withdraw", args=[post.pk]) in page.content.decode()
    response = _client(org.officer).post(
        reverse("editorial:withdraw", args=[post.pk]), {"reason": "Le compte est fermé."}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == PostState.WITHDRAWN
    assert AuditEvent.objects.filter(post=post, verb="withdrawn", actor=org.officer).exists()


def test_post_held_by_deactivation_withdrawn_by_a_publisher_of_the_account(
    org: Org, root: User, publishers: tuple[User, User], time_machine: Any
) -> None:
    member, _grantee = publishers
    post = _scheduled(org, time_machine)
    services.social_account_set_active(account=org.mastodon, active=False, by=root)
    editorial.post_withdraw(post=post, by=_fresh(member), reason="Le compte est fermé.")
    post.refresh_from_db()
    assert post.state == PostState.WITHDRAWN


def test_post_held_by_deactivation_not_withdrawn_by_anyone_else(
    org: Org, root: User, time_machine: Any
) -> None:
    post = _scheduled(org, time_machine)
    # The author leaves the unit: what explained their right is gone, deactivated or not.
    services.social_account_set_active(account=org.mastodon, active=False, by=root)
    for membership in Membership.objects.filter(user=org.officer):
        services.membership_delete(membership=membership, by=root)
    for who in (org.outsider, org.officer):
        with pytest.raises(PermissionDenied):
            editorial.post_withdraw(post=post, by=_fresh(who), reason="Je retire ce message.")
    post.refresh_from_db()
    assert post.state == PostState.HELD

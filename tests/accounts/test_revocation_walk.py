"""The revocation walk: every way a right can end, and afterwards the person can do nothing.

Each case gives ``leaver`` rights (a unit administrator's, a per-account grant, or a
manager's delegation), checks they work (the test would prove nothing otherwise), ends them
one way, and then checks the leaver no longer sees the posts (page and lists), is not in the
review queue, cannot approve (service and page) and cannot schedule (service and page). The
one who became an author keeps reading the unit's posts, as every author of the unit does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts import permissions, services
from accounts.models import AccountGrant, Membership, User
from editorial import selectors
from editorial import services as editorial_services
from editorial.models import Approval, AuditEvent, Post, PostState
from editorial.services import TransitionRefused, delegations
from tests.conftest import Org
from tests.factories import make_delegation, make_user

P = permissions.Perm
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
TOMORROW = NOW + dt.timedelta(days=1)


@dataclass
class World:
    org: Org
    leaver: User
    root: User  # a superuser, for the admin's pages
    in_review: Post
    approved: Post
    time_machine: Any

    @property
    def membership(self) -> Membership:
        return Membership.objects.get(user=self.leaver)


def _client(user: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _admin_post(w: World, name: str, args: list[Any], data: dict[str, Any]) -> None:
    response = _client(w.root).post(reverse(f"admin:{name}", args=args), data)
    assert response.status_code == 302, response.content.decode()[:2000]


# --- how the leaver got their rights ---------------------------------------------------------


def _as_unit_admin(w: World) -> None:
    services.membership_create(user=w.leaver, unit=w.org.service, role=Membership.Role.ADMIN)


def _as_grantee(w: World) -> None:
    for perm in (P.REVIEW, P.PUBLISH):
        permissions.grant(w.leaver, perm, w.org.mastodon, by=w.root)


def _as_deputy(w: World) -> None:
    # The manager's deputy from yesterday to today: the last day of the loan is today.
    make_delegation(w.org.manager, w.leaver, NOW.date() - dt.timedelta(days=1), NOW.date())


# --- how the rights end ---------------------------------------------------------------------


def _membership_deleted_by_service(w: World) -> None:
    services.membership_delete(membership=w.membership, by=w.root)


def _membership_deleted_in_admin(w: World) -> None:
    _admin_post(w, "accounts_membership_delete", [w.membership.pk], {"post": "yes"})


def _membership_deleted_in_admin_bulk(w: World) -> None:
    data = {"action": "delete_selected", "_selected_action": [w.membership.pk], "post": "yes"}
    _admin_post(w, "accounts_membership_changelist", [], data)


def _membership_deleted_in_unit_inline(w: World) -> None:
    unit, membership = w.org.service, w.membership
    others = list(unit.memberships.exclude(pk=membership.pk).order_by("pk"))
    rows = [membership, *others]
    data: dict[str, Any] = {
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind,
        "parent": unit.parent_id or "",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(len(rows)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data |= {
            f"memberships-{i}-id": row.pk,
            f"memberships-{i}-unit": unit.pk,
            f"memberships-{i}-user": row.user_id,
            f"memberships-{i}-role": row.role,
        }
    data["memberships-0-DELETE"] = "on"
    _admin_post(w, "accounts_orgunit_change", [unit.pk], data)


def _membership_deleted_by_queryset(w: World) -> None:
    Membership.objects.filter(user=w.leaver).delete()


def _role_changed_by_service(w: World) -> None:
    services.membership_change_role(membership=w.membership, role=Membership.Role.AUTHOR, by=w.root)


def _role_changed_in_admin(w: World) -> None:
    membership = w.membership
    data = {"user": w.leaver.pk, "unit": membership.unit_id, "role": Membership.Role.AUTHOR}
    _admin_post(w, "accounts_membership_change", [membership.pk], data)


def _moved_by_service(w: World) -> None:
    other = w.org.ministry.children.exclude(pk=w.org.service.pk).get()
    services.membership_move(membership=w.membership, unit=other, by=w.root)


def _moved_in_admin(w: World) -> None:
    membership = w.membership
    other = w.org.ministry.children.exclude(pk=w.org.service.pk).get()
    data = {"user": w.leaver.pk, "unit": other.pk, "role": membership.role}
    _admin_post(w, "accounts_membership_change", [membership.pk], data)


def _user_deactivated_by_service(w: World) -> None:
    services.user_set_active(user=w.leaver, active=False, by=w.root)


def _user_deactivated_by_save(w: World) -> None:
    w.leaver.is_active = False
    w.leaver.save()


def _account_moved_in_admin(w: World) -> None:
    # The account changes hands: the unit's members lose it, the new unit's gain it.
    account = w.org.mastodon
    other = w.org.ministry.children.exclude(pk=w.org.service.pk).get()
    data = {
        "network": account.network,
        "server_url": account.server_url,
        "handle": account.handle,
        "unit": other.pk,
        "byline_template": account.byline_template,
        "max_characters": account.max_characters,
        "characters_reserved_per_url": account.characters_reserved_per_url,
        "is_active": "on",
    }
    _admin_post(w, "accounts_socialaccount_change", [account.pk], data)


def _account_deactivated_by_service(w: World) -> None:
    services.social_account_set_active(account=w.org.mastodon, active=False, by=w.root)


def _account_deactivated_by_save(w: World) -> None:
    account = w.org.mastodon
    account.is_active = False
    account.save()


def _account_deactivated_in_admin(w: World) -> None:
    account = w.org.mastodon
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
    _admin_post(w, "accounts_socialaccount_change", [account.pk], data)


def _grant_revoked(w: World) -> None:
    for perm in (P.REVIEW, P.PUBLISH):
        permissions.revoke(w.leaver, perm, w.org.mastodon, by=w.root)


def _grant_deleted_in_admin(w: World) -> None:
    grant = AccountGrant.objects.filter(user=w.leaver).order_by("pk").first()
    assert grant is not None
    data = {
        "action": "delete_selected",
        "_selected_action": list(
            AccountGrant.objects.filter(user=w.leaver).values_list("pk", flat=True)
        ),
        "post": "yes",
    }
    _admin_post(w, "accounts_accountgrant_changelist", [], data)


def _delegation_expired(w: World) -> None:
    # No sweep runs: the day after the last day, the loan is simply over.
    w.time_machine.move_to(TOMORROW, tick=False)


def _delegation_ended(w: World) -> None:
    delegation = w.leaver.delegations_received.get()
    delegations.delegation_end(delegation=delegation, by=w.org.manager)


def _member_left(w: World) -> None:
    # A deputy stands in for the member's rights of the day: none left, nothing lent.
    reviewer = Membership.objects.get(user=w.org.manager, role=Membership.Role.REVIEWER)
    services.membership_delete(membership=reviewer, by=w.root)


@dataclass(frozen=True)
class Case:
    give: Callable[[World], None]
    end: Callable[[World], None]
    publishes: bool = True  # the rights given include scheduling
    still_reads: bool = False  # left with a role that reads the unit's posts (author)
    audited: bool = True  # guardian rows were withdrawn, so the audit trail says so
    cause: str = ""  # the cause the audit gives, when the case names one


CASES = {
    "membership deleted (service)": Case(_as_unit_admin, _membership_deleted_by_service),
    "membership deleted (admin delete page)": Case(_as_unit_admin, _membership_deleted_in_admin),
    "membership deleted (admin bulk action)": Case(
        _as_unit_admin, _membership_deleted_in_admin_bulk
    ),
    "membership deleted (unit's inline form)": Case(
        _as_unit_admin, _membership_deleted_in_unit_inline
    ),
    "membership deleted (queryset.delete)": Case(_as_unit_admin, _membership_deleted_by_queryset),
    "role changed to author (service)": Case(
        _as_unit_admin, _role_changed_by_service, still_reads=True
    ),
    "role changed to author (admin change form)": Case(
        _as_unit_admin, _role_changed_in_admin, still_reads=True
    ),
    "moved to another unit (service)": Case(_as_unit_admin, _moved_by_service),
    "moved to another unit (admin change form)": Case(_as_unit_admin, _moved_in_admin),
    "user deactivated (service)": Case(_as_unit_admin, _user_deactivated_by_service),
    "user deactivated (save)": Case(_as_unit_admin, _user_deactivated_by_save),
    "social account moved to another unit (admin)": Case(_as_unit_admin, _account_moved_in_admin),
    "social account deactivated (service)": Case(
        _as_unit_admin, _account_deactivated_by_service, cause="account_deactivated"
    ),
    "social account deactivated (save)": Case(
        _as_unit_admin, _account_deactivated_by_save, cause="account_deactivated"
    ),
    "social account deactivated (admin change form)": Case(
        _as_unit_admin, _account_deactivated_in_admin, cause="account_deactivated"
    ),
    "granted account deactivated (service)": Case(
        _as_grantee, _account_deactivated_by_service, cause="account_deactivated"
    ),
    "per-account grant revoked": Case(_as_grantee, _grant_revoked),
    "per-account grant deleted (admin bulk action)": Case(_as_grantee, _grant_deleted_in_admin),
    "delegation expired": Case(_as_deputy, _delegation_expired, publishes=False, audited=False),
    "delegation ended by the member": Case(
        _as_deputy, _delegation_ended, publishes=False, audited=False
    ),
    "delegating member left the unit": Case(
        _as_deputy, _member_left, publishes=False, audited=False
    ),
}


@pytest.fixture
def world(org: Org, time_machine: Any) -> World:
    time_machine.move_to(NOW, tick=False)
    in_review = editorial_services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Ouverture de la médiathèque lundi."
    )
    editorial_services.post_submit(post=in_review, by=org.officer)
    approved = editorial_services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Fermeture exceptionnelle mardi."
    )
    editorial_services.post_submit(post=approved, by=org.officer)
    editorial_services.post_approve(post=approved, by=org.manager, revision=1)
    root = make_user(username="root", is_staff=True, is_superuser=True)
    leaver = make_user(username="leaver", first_name="Léa", last_name="Départ")
    return World(org, leaver, root, in_review, approved, time_machine)


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cached on the instance


def _sees(client: Client, post: Post) -> bool:
    page = client.get(reverse("editorial:post", args=[post.pk]))
    return page.status_code == 200


def _listed(client: Client, post: Post) -> bool:
    link = f"/posts/{post.pk}/"
    pages = [client.get(reverse(name)) for name in ("editorial:dashboard", "editorial:queue")]
    return any(p.status_code == 200 and link in p.content.decode() for p in pages)


def _assert_can_work(w: World, case: Case) -> None:
    leaver, client = _fresh(w.leaver), _client(w.leaver)
    assert _sees(client, w.in_review)
    assert [item.post for item in selectors.review_queue(leaver)] == [w.in_review]
    assert _listed(client, w.in_review)
    if case.publishes:
        assert permissions.can(leaver, P.PUBLISH, w.org.mastodon)


def _assert_can_do_nothing(w: World, case: Case) -> None:
    leaver, client = _fresh(w.leaver), _client(w.leaver)
    # Reading: the page and the lists.
    if not case.still_reads:
        assert not _sees(client, w.in_review)
        assert not _sees(client, w.approved)
        assert w.in_review not in selectors.posts_visible_to(leaver)
    assert not selectors.review_queue(leaver)
    queue = client.get(reverse("editorial:queue"))
    assert f"/posts/{w.in_review.pk}/" not in queue.content.decode()
    # No right left on the account, whichever way it was held.
    for perm in (P.REVIEW, P.PUBLISH, P.URGENT, P.WAIVE):
        assert not permissions.can(leaver, perm, w.org.mastodon)
    # Approving: the service refuses, and so does the page (nothing recorded).
    with pytest.raises(PermissionDenied):
        editorial_services.post_approve(post=w.in_review, by=leaver, revision=1)
    client.post(reverse("editorial:approve", args=[w.in_review.pk]), {"revision": "1"})
    assert not Approval.objects.filter(approver=leaver).exists()
    w.in_review.refresh_from_db()
    assert w.in_review.state == PostState.IN_REVIEW
    # Scheduling: refused by the service (the right, or the account being off) and the page.
    with pytest.raises((PermissionDenied, TransitionRefused)):
        editorial_services.post_schedule(post=w.approved, by=leaver)
    client.post(reverse("editorial:schedule", args=[w.approved.pk]), {"now": "1"})
    w.approved.refresh_from_db()
    assert w.approved.state == PostState.APPROVED


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_revocation_walk_leaves_the_person_unable_to_do_anything(world: World, case: Case) -> None:
    case.give(world)
    _assert_can_work(world, case)
    case.end(world)
    _assert_can_do_nothing(world, case)
    revoked = AuditEvent.objects.filter(verb="rights_revoked", data__person__id=world.leaver.pk)
    assert revoked.exists() is case.audited
    if case.cause:
        assert {e.data["cause"] for e in revoked} == {case.cause}
    # Nothing left for the check to find: the rows are exactly what explains them.
    assert not [d for d in permissions.drift() if d.user.pk == world.leaver.pk]

"""Object permissions on social accounts. The only module that imports django-guardian.

Every view, API endpoint and service asks here: ``can`` to decide what to show, ``require``
to refuse. Grants come from memberships (a role in a unit covers the accounts of that unit
and of the units below it) or are given per account by an administrator.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from guardian.shortcuts import (
    assign_perm,
    get_objects_for_user,
    get_users_with_perms,
    remove_perm,
)

from accounts.models import Membership, OrgUnit, SocialAccount

if TYPE_CHECKING:
    from accounts.models import User


class Perm(StrEnum):
    DRAFT = "accounts.draft_for_account"
    REVIEW = "accounts.review_for_account"
    PUBLISH = "accounts.publish_on_account"
    # Skips pending approval steps (editorial.urgent); never implied by a role but ADMIN.
    URGENT = "accounts.urgent_publish_on_account"
    # Lifts a charter finding on one revision (editorial.waivers); never implied by a role
    # but ADMIN.
    WAIVE = "accounts.waive_for_account"


ROLE_PERMS: dict[str, tuple[Perm, ...]] = {
    Membership.Role.AUTHOR: (Perm.DRAFT,),
    Membership.Role.REVIEWER: (Perm.REVIEW,),
    Membership.Role.PUBLISHER: (Perm.PUBLISH,),
    Membership.Role.ADMIN: (Perm.DRAFT, Perm.REVIEW, Perm.PUBLISH, Perm.URGENT, Perm.WAIVE),
}


def can(user: User, perm: Perm, account: SocialAccount) -> bool:
    if not user.is_active:
        return False
    return bool(user.has_perm(perm.value, account))


def require(user: User, perm: Perm, account: SocialAccount) -> None:
    if not can(user, perm, account):
        raise PermissionDenied(f"{user} lacks '{perm.name.lower()}' on {account}.")


def accounts_for(user: User, perm: Perm) -> QuerySet[SocialAccount]:
    qs: QuerySet[SocialAccount] = get_objects_for_user(
        user, perm.value, klass=SocialAccount, accept_global_perms=False
    )
    return qs.filter(is_active=True)


def users_with(perm: Perm, account: SocialAccount) -> set[int]:
    """Ids of the active users holding ``perm`` on ``account`` (directly or through a group)."""
    codename = perm.value.split(".", 1)[1]
    users = get_users_with_perms(account, only_with_perms_in=[codename], with_group_users=True)
    assert isinstance(users, QuerySet)  # without attach_perms, guardian returns a queryset
    return set(users.filter(is_active=True).values_list("pk", flat=True))


def units_managed_by(user: User) -> QuerySet[OrgUnit]:
    """Units where the user may connect accounts: those they administer and the units below;
    every unit for a superuser."""
    if not user.is_active:
        return OrgUnit.objects.none()
    if user.is_superuser:
        return OrgUnit.objects.all()
    ids: set[int] = set()
    admin_of = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).select_related(
        "unit"
    )
    for membership in admin_of:
        ids |= membership.unit.descendant_ids()
    return OrgUnit.objects.filter(pk__in=ids)


def may_manage_unit(user: User, unit: OrgUnit) -> bool:
    """A superuser, or an administrator of the unit or of a unit above it."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    chain = [unit.pk, *(ancestor.pk for ancestor in unit.ancestors())]
    return Membership.objects.filter(
        user=user, unit_id__in=chain, role=Membership.Role.ADMIN
    ).exists()


def require_unit_admin(user: User, unit: OrgUnit) -> None:
    if not may_manage_unit(user, unit):
        raise PermissionDenied(f"{user} does not administer {unit}.")


def grant(user: User, perm: Perm, account: SocialAccount) -> None:
    assign_perm(perm.value, user, account)


def revoke(user: User, perm: Perm, account: SocialAccount) -> None:
    remove_perm(perm.value, user, account)


def sync_membership_grants(membership: Membership) -> None:
    """Grant the role's permissions on every account of the unit's subtree."""
    unit_ids = membership.unit.descendant_ids()
    for account in SocialAccount.objects.filter(unit_id__in=unit_ids):
        for perm in ROLE_PERMS[membership.role]:
            grant(membership.user, perm, account)


def sync_account_grants(account: SocialAccount) -> None:
    """Grant members of the owning unit and of its ancestors their roles on a new account."""
    unit_ids = [account.unit_id, *(u.pk for u in account.unit.ancestors())]
    for membership in Membership.objects.filter(unit_id__in=unit_ids).select_related("user"):
        for perm in ROLE_PERMS[membership.role]:
            grant(membership.user, perm, account)

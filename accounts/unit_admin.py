"""Who administers which unit: an administrator role covers the unit and the units below it;
a superuser administers every unit. No object permission is involved (those are
``accounts.permissions``', which re-exports these three names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from accounts.models import Membership, OrgUnit

if TYPE_CHECKING:
    from accounts.models import User


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


def admin_roles_over(user: User, unit: OrgUnit) -> QuerySet[Membership]:
    """The user's administrator memberships of the unit or of a unit above it."""
    chain = [unit.pk, *(ancestor.pk for ancestor in unit.ancestors())]
    return Membership.objects.filter(user_id=user.pk, unit_id__in=chain, role=Membership.Role.ADMIN)


def may_manage_unit(user: User, unit: OrgUnit) -> bool:
    """A superuser, or an administrator of the unit or of a unit above it."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return admin_roles_over(user, unit).exists()


def require_unit_admin(user: User, unit: OrgUnit) -> None:
    if not may_manage_unit(user, unit):
        raise PermissionDenied(f"{user} does not administer {unit}.")

"""Who may freeze publishing (and lift a freeze), on one account or on the whole organisation."""

from __future__ import annotations

from accounts import permissions
from accounts.models import Membership, OrgUnit, SocialAccount, User


def may_freeze(user: User, account: SocialAccount | None) -> bool:
    """Who may freeze (and lift): a publisher of the account (a unit administrator is one on
    the accounts of the units they administer); for the whole organisation, only its own
    administrators (``organisation_admin``)."""
    if not user.is_active:
        return False
    if account is not None:
        return permissions.can(user, permissions.Perm.PUBLISH, account)
    return organisation_admin(user)


def organisation_admin(user: User) -> bool:
    """Whether ``user`` speaks for the whole organisation, not for one ministry of it.

    A superuser; a holder of ``editorial.freeze_organisation`` (given in the admin, to a user or
    a group: the crisis cell); or an administrator of the root unit when the chart has exactly
    one root. With several top-level units side by side (ministries), no unit administrator
    speaks for the others: a ministry's administrator freezes its own accounts, never theirs.
    """
    if not user.is_active:
        return False
    if user.is_superuser or user.has_perm("editorial.freeze_organisation"):
        return True
    roots = list(OrgUnit.objects.filter(parent__isnull=True).values_list("pk", flat=True)[:2])
    return (
        len(roots) == 1
        and Membership.objects.filter(
            user=user, role=Membership.Role.ADMIN, unit_id=roots[0]
        ).exists()
    )

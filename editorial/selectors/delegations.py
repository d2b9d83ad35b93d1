"""Reads of delegations: whom a member may name as deputy and for which units, the
delegations they gave and received. Giving and ending one: ``editorial.services.delegations``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Delegation, OrgUnit, User


def delegable_units(user: User) -> QuerySet[OrgUnit]:
    """Units where the member holds a role: a delegation can be limited to one of them."""
    units: QuerySet[OrgUnit] = OrgUnit.objects.filter(memberships__user=user).distinct()
    return units


def deputy_candidates(user: User) -> QuerySet[User]:
    """Active members of the member's units, the member aside."""
    users: QuerySet[User] = (
        get_user_model()
        .objects.filter(is_active=True, memberships__unit__in=delegable_units(user))
        .exclude(pk=user.pk)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    return users


def delegations_given(user: User) -> QuerySet[Delegation]:
    return Delegation.objects.filter(from_user=user).select_related("to_user", "unit")


def delegations_received(user: User) -> QuerySet[Delegation]:
    return Delegation.objects.filter(to_user=user).select_related("from_user", "unit")


def delegation_get_for(user: User, pk: int) -> Delegation:
    """A delegation the user gave or received (others are none of their business: 404)."""
    delegation: Delegation = get_object_or_404(
        Delegation.objects.select_related("from_user", "to_user", "unit").filter(
            Q(from_user=user) | Q(to_user=user)
        ),
        pk=pk,
    )
    return delegation

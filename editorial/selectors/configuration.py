"""What the configuration screens read: the units a person administers, their members, who
holds which right on an account and where it comes from, the elections they may declare.

Scope is ``permissions.units_managed_by``: the units a person administers (role ADMIN) and
every unit below them; a superuser, every unit. Views fetch through these and answer 404
outside that scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from accounts import permissions
from accounts.models import AccountGrant, Membership, OrgUnit, SocialAccount, User
from charter.models import ElectionWindow, ElectoralReferent

# The rights of an account, in the order of the matrix's columns (AccountGrant.Right's order;
# the labels stay lazy: translated when shown, in the reader's language).
RIGHTS: tuple[tuple[permissions.Perm, StrOrPromise], ...] = tuple(
    (permissions.CODENAMES[right.value], right.label) for right in AccountGrant.Right
)


def managed_units(user: User) -> QuerySet[OrgUnit]:
    return permissions.units_managed_by(user).select_related("parent").order_by("code")


def managed_accounts(user: User) -> QuerySet[SocialAccount]:
    return (
        SocialAccount.objects.filter(unit__in=permissions.units_managed_by(user))
        .select_related("unit")
        .order_by("unit__code", "network", "handle")
    )


@dataclass
class MemberRow:
    person: User
    memberships: list[Membership] = field(default_factory=list)


def unit_members(unit: OrgUnit) -> list[MemberRow]:
    """The unit's own members, one row per person with each role they hold there (one query,
    whatever the number of members)."""
    rows: dict[int, MemberRow] = {}
    memberships = (
        Membership.objects.filter(unit=unit)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username", "role")
    )
    for membership in memberships:
        rows.setdefault(membership.user_id, MemberRow(membership.user)).memberships.append(
            membership
        )
    return list(rows.values())


def administrators_above(unit: OrgUnit) -> list[Membership]:
    """Who administers the unit from a unit above it (they may manage it too)."""
    above = [ancestor.pk for ancestor in unit.ancestors()]
    return list(
        Membership.objects.filter(unit_id__in=above, role=Membership.Role.ADMIN)
        .select_related("user", "unit")
        .order_by("unit__code", "user__username")
    )


@dataclass(frozen=True)
class Source:
    """Where one right of one person comes from: a role in a unit, or a grant on the account
    (``grant`` set: it can be revoked here)."""

    label: str
    grant: AccountGrant | None = None


@dataclass
class RightsRow:
    person: User
    cells: list[list[Source]]  # one list per right, in RIGHTS's order

    @property
    def labelled(self) -> list[tuple[StrOrPromise, list[Source]]]:
        return [(label, cell) for (_perm, label), cell in zip(RIGHTS, self.cells, strict=True)]


def _row(rows: dict[int, RightsRow], person: User) -> RightsRow:
    return rows.setdefault(person.pk, RightsRow(person, [[] for _right in RIGHTS]))


def account_rights(account: SocialAccount) -> list[RightsRow]:
    """Who holds which right on the account and why: each role in the account's unit or a
    unit above it, and each grant on the account. Active people only (an inactive person
    holds no right). A constant number of queries, whatever the number of people."""
    chain = [account.unit, *account.unit.ancestors()]
    column = {perm: index for index, (perm, _label) in enumerate(RIGHTS)}
    rows: dict[int, RightsRow] = {}
    memberships = (
        Membership.objects.filter(unit__in=chain, user__is_active=True)
        .select_related("user", "unit")
        .order_by("unit__code", "role")
    )
    for membership in memberships:
        row = _row(rows, membership.user)
        label = _("%(role)s in %(unit)s") % {
            "role": membership.get_role_display(),
            "unit": membership.unit.code,
        }
        for perm in permissions.ROLE_PERMS[membership.role]:
            row.cells[column[perm]].append(Source(label))
    grants = AccountGrant.objects.filter(account=account, user__is_active=True).select_related(
        "user", "account"
    )
    for grant in grants:
        perm = permissions.CODENAMES[grant.right]
        _row(rows, grant.user).cells[column[perm]].append(Source(_("Individual grant"), grant))
    return sorted(rows.values(), key=lambda r: (str(r.person).lower(), r.person.username))


def manageable_windows(user: User) -> QuerySet[ElectionWindow]:
    """The elections of the units the person administers (and below); a superuser's, all
    (the organisation-wide ones too)."""
    windows = ElectionWindow.objects.select_related("unit").order_by("first_round", "name")
    if user.is_active and user.is_superuser:
        return windows
    return windows.filter(Q(unit__in=permissions.units_managed_by(user)))


def manageable_referents(user: User) -> QuerySet[ElectoralReferent]:
    """The electoral referents of the units the person administers (and below); a
    superuser's, all (the organisation's too)."""
    referents = ElectoralReferent.objects.select_related("user", "unit").order_by(
        "unit__code", "user__username"
    )
    if user.is_active and user.is_superuser:
        return referents
    return referents.filter(unit__in=permissions.units_managed_by(user))

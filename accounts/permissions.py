"""Object permissions on social accounts. The only module that imports django-guardian.

Every view, API endpoint and service asks here: ``can`` to decide what to show, ``require``
to refuse. Grants come from memberships (a role in a unit covers the accounts of that unit
and of the units below it) or are given per account by an administrator (``AccountGrant``).

The guardian rows are never the truth, only its cache: ``sync_user`` recomputes a person's
rows from what explains them today (their memberships, their per-account grants, whether they
and the accounts are active: a deactivated account explains no right) and removes every
other row, in the caller's transaction. The services call it, and receivers
(``accounts.receivers``) call it on every save and delete of what explains a right, so the
admin, inline forms and ``queryset.delete()`` are covered too.
Delegations give no rows: they are resolved when used (``editorial.policies``), from the
member's rights of that day, so one is over the day after its last day without a sweep.
``manage.py check_permissions`` reports (``--fix`` repairs) rows that drifted anyway (a
``queryset.update``, raw SQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import get_objects_for_user, get_users_with_perms

from accounts import signals
from accounts.models import AccountGrant, Membership, OrgUnit, SocialAccount

# Who administers which unit (no object permission involved), kept importable from here: the
# "x as x" form is mypy's explicit re-export.
from accounts.unit_admin import may_manage_unit as may_manage_unit  # noqa: PLC0414
from accounts.unit_admin import require_unit_admin as require_unit_admin  # noqa: PLC0414
from accounts.unit_admin import units_managed_by as units_managed_by  # noqa: PLC0414

if TYPE_CHECKING:
    from accounts.models import User


class Perm(StrEnum):
    DRAFT = "accounts.draft_for_account"
    REVIEW = "accounts.review_for_account"
    PUBLISH = "accounts.publish_on_account"
    # Skips pending approval steps (editorial.services.urgent); never implied by a role but ADMIN.
    URGENT = "accounts.urgent_publish_on_account"
    # Lifts a charter finding on one revision (editorial.services.waivers); never implied by a role
    # but ADMIN.
    WAIVE = "accounts.waive_for_account"


ROLE_PERMS: dict[str, tuple[Perm, ...]] = {
    Membership.Role.AUTHOR: (Perm.DRAFT,),
    Membership.Role.REVIEWER: (Perm.REVIEW,),
    Membership.Role.PUBLISHER: (Perm.PUBLISH,),
    Membership.Role.ADMIN: (Perm.DRAFT, Perm.REVIEW, Perm.PUBLISH, Perm.URGENT, Perm.WAIVE),
}


def can(user: User, perm: Perm, account: SocialAccount) -> bool:
    # An inactive account has no rows (``explained_rows``); refused here too, in case a row
    # drifted (a ``queryset.update`` sends no signal) until ``check_permissions`` removes it.
    if not user.is_active or not account.is_active:
        return False
    return bool(user.has_perm(perm.value, account))


def require(user: User, perm: Perm, account: SocialAccount) -> None:
    if not can(user, perm, account):
        raise PermissionDenied(f"{user} lacks '{perm.name.lower()}' on {account}.")


def accounts_for(user: User, perm: Perm | list[Perm]) -> QuerySet[SocialAccount]:
    perms = [p.value for p in perm] if isinstance(perm, list) else perm.value  # any of a list
    qs: QuerySet[SocialAccount] = get_objects_for_user(
        user, perms, klass=SocialAccount, accept_global_perms=False, any_perm=True
    )
    return qs.filter(is_active=True)


def rights_held(user: User) -> dict[int, frozenset[Perm]]:
    """Each active account on which ``user`` holds a right, with the rights held: what
    ``accounts_for`` answers for every right, read at once (a superuser holds every right on
    every active account; rows given to one of the user's groups count, as guardian counts
    them). One query: the layout's menu asks it on every page instead of one ``accounts_for``
    per right (docs/benchmarks.md "Search: the stored vector")."""
    active = SocialAccount.objects.filter(is_active=True)
    if user.is_superuser:
        every = frozenset(Perm)
        return {pk: every for pk in active.values_list("pk", flat=True)}
    active_pks = active.annotate(pk_text=Cast("pk", CharField())).values("pk_text")
    own = _rows_query([user.pk]).filter(object_pk__in=active_pks)
    given_to_groups = GroupObjectPermission.objects.filter(
        content_type=_content_type(),
        permission__codename__in=CODENAMES,
        group__user=user.pk,
        object_pk__in=active_pks,
    )
    held: dict[int, set[Perm]] = {}
    rows = own.values_list("object_pk", "permission__codename").union(
        given_to_groups.values_list("object_pk", "permission__codename")
    )
    for object_pk, codename in rows:
        held.setdefault(int(object_pk), set()).add(CODENAMES[codename])
    return {pk: frozenset(perms) for pk, perms in held.items()}


def users_with(perm: Perm, account: SocialAccount) -> set[int]:
    """Ids of the active users holding ``perm`` on ``account`` (directly or through a group)."""
    codename = perm.value.split(".", 1)[1]
    users = get_users_with_perms(account, only_with_perms_in=[codename], with_group_users=True)
    assert isinstance(users, QuerySet)  # without attach_perms, guardian returns a queryset
    return set(users.filter(is_active=True).values_list("pk", flat=True))


# --- rights derived from what explains them ----------------------------------------------

# One permission row: (social account id, right).
Row = tuple[int, Perm]


@dataclass(frozen=True)
class Acting:
    by: User | None
    cause: str


# Who is changing the organisation, for the audit of the rights a change withdraws: set by
# the services and the admin around their writes, read by the receivers that sync.
_acting: ContextVar[Acting | None] = ContextVar("porte_voix_rights_acting", default=None)


@contextmanager
def acting(*, by: User | None, cause: str) -> Iterator[None]:
    token = _acting.set(Acting(by, cause))
    try:
        yield
    finally:
        _acting.reset(token)


def current_acting() -> Acting | None:
    """Who is acting and why, as the enclosing service or admin page said (None outside)."""
    return _acting.get()


@dataclass(frozen=True)
class RightsChange:
    user_id: int
    added: frozenset[Row]
    removed: frozenset[Row]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def _content_type() -> ContentType:
    return ContentType.objects.get_for_model(SocialAccount)


def _codename(perm: Perm) -> str:
    return perm.value.split(".", 1)[1]


CODENAMES = {_codename(p): p for p in Perm}


def explained_rows(user: User) -> set[Row]:
    """The rows the user should hold today: their roles on the active accounts of their units
    (and of the units below), and their per-account grants on active accounts. None for an
    inactive user.

    A deactivated social account explains no right: deactivating it ends them all, in its
    transaction (audited, cause ``account_deactivated``); reactivating it restores what the
    memberships and grants still explain. What the people of a deactivated account may still
    do (hear of its held posts, withdraw them) is asked of ``explains``, not of the rows.
    """
    if not user.is_active:
        return set()
    perms_by_unit: dict[int, set[Perm]] = {}
    for membership in Membership.objects.filter(user_id=user.pk).select_related("unit"):
        for unit_id in membership.unit.descendant_ids():
            perms_by_unit.setdefault(unit_id, set()).update(ROLE_PERMS[membership.role])
    rows: set[Row] = set()
    accounts = SocialAccount.objects.filter(unit_id__in=perms_by_unit, is_active=True)
    for account_id, unit_id in accounts.values_list("pk", "unit_id"):
        rows.update((account_id, perm) for perm in perms_by_unit[unit_id])
    grants = AccountGrant.objects.filter(user_id=user.pk, account__is_active=True)
    for account_id, right in grants.values_list("account_id", "right"):
        rows.add((account_id, CODENAMES[right]))
    return rows


def _explaining_roles(perm: Perm) -> list[str]:
    return [role for role, perms in ROLE_PERMS.items() if perm in perms]


def users_explained(perm: Perm, account: SocialAccount) -> set[int]:
    """Ids of the active users whose memberships or grants give ``perm`` on the account,
    whether or not the account is active: on a deactivated account, those who held the right
    until it was deactivated (and will again if it is reactivated). For telling them of its
    held posts; never to allow anything but what ``explains`` allows."""
    chain = [account.unit_id, *(ancestor.pk for ancestor in account.unit.ancestors())]
    members = Membership.objects.filter(
        unit_id__in=chain, role__in=_explaining_roles(perm), user__is_active=True
    ).values_list("user_id", flat=True)
    granted = AccountGrant.objects.filter(
        account_id=account.pk, right=_codename(perm), user__is_active=True
    ).values_list("user_id", flat=True)
    return set(members) | set(granted)


def explains(user: User, perm: Perm, account: SocialAccount) -> bool:
    """Whether the user's memberships or grants give ``perm`` on the account, whatever the
    account's state. On an active account this is ``can``; on a deactivated one it is only
    asked to let its people undo (withdraw a post held because the account was deactivated)."""
    if account.is_active:
        return can(user, perm, account)
    return user.is_active and user.pk in users_explained(perm, account)


def _rows_query(user_ids: Iterable[int] | None = None) -> QuerySet[UserObjectPermission]:
    rows = UserObjectPermission.objects.filter(
        content_type=_content_type(), permission__codename__in=CODENAMES
    )
    return rows if user_ids is None else rows.filter(user_id__in=list(user_ids))


def held_rows(user: User) -> set[Row]:
    held = _rows_query([user.pk]).values_list("object_pk", "permission__codename")
    return {(int(object_pk), CODENAMES[codename]) for object_pk, codename in held}


def _apply(user: User, add: set[Row], remove: set[Row]) -> None:
    content_type = _content_type()
    if remove:
        which = Q()
        for account_id, perm in remove:
            which |= Q(object_pk=str(account_id), permission__codename=_codename(perm))
        _rows_query([user.pk]).filter(which).delete()
    if add:
        by_codename = {
            p.codename: p
            for p in Permission.objects.filter(content_type=content_type, codename__in=CODENAMES)
        }
        UserObjectPermission.objects.bulk_create(
            UserObjectPermission(
                user_id=user.pk,
                content_type=content_type,
                object_pk=str(account_id),
                permission=by_codename[_codename(perm)],
            )
            for account_id, perm in sorted(add)
        )


@transaction.atomic  # the caller's transaction; its own when a bare save() triggered it
def sync_user(user: User, *, by: User | None = None, cause: str = "") -> RightsChange:
    """Make the user's rows exactly what explains them today, in the caller's transaction.

    The rights it withdraws are told (``signals.rights_revoked``: editorial audits them)
    with who acted and why, from the arguments or else from the ``acting`` context.
    """
    context = _acting.get()
    by = by if by is not None else (context.by if context else None)
    cause = cause or (context.cause if context else "sync")
    # Two transactions changing the same person's rights queue on their row.
    locked = type(user).objects.select_for_update().filter(pk=user.pk).first()
    if locked is None:  # being deleted: guardian's rows go with the user
        return RightsChange(user.pk, frozenset(), frozenset())
    wanted = explained_rows(locked)
    held = held_rows(locked)
    change = RightsChange(locked.pk, frozenset(wanted - held), frozenset(held - wanted))
    _apply(locked, set(change.added), set(change.removed))
    if change.removed:
        signals.rights_revoked.send(
            sender=SocialAccount,
            user=locked,
            removed=sorted(change.removed),
            by=by,
            cause=cause,
        )
    return change


def sync_users(user_ids: Iterable[int]) -> list[RightsChange]:
    from accounts.models import User

    users = User.objects.filter(pk__in=set(user_ids)).order_by("pk")
    return [sync_user(user) for user in users]


def _holders(account_ids: Iterable[int]) -> set[int]:
    """Who holds a row on one of the accounts."""
    pks = [str(pk) for pk in account_ids]
    return set(_rows_query().filter(object_pk__in=pks).values_list("user_id", flat=True))


def _members_above(unit: OrgUnit) -> set[int]:
    """Members of the unit and of the units above it: those whose roles cover its accounts."""
    chain = [unit.pk, *(ancestor.pk for ancestor in unit.ancestors())]
    members = Membership.objects.filter(unit_id__in=chain)
    return set(members.values_list("user_id", flat=True))


def sync_account(account: SocialAccount) -> list[RightsChange]:
    """After an account was created, moved, (de)activated or deleted: everyone whose rights
    on it may have changed."""
    users = _holders([account.pk]) | set(
        AccountGrant.objects.filter(account_id=account.pk).values_list("user_id", flat=True)
    )
    if SocialAccount.objects.filter(pk=account.pk).exists():
        users |= _members_above(account.unit)
    return sync_users(users)


def sync_unit(unit: OrgUnit) -> list[RightsChange]:
    """After a unit moved in the tree: the members above its new place gain its accounts,
    those above its old place (who hold rows on them) lose them."""
    account_ids = SocialAccount.objects.filter(unit_id__in=unit.descendant_ids())
    users = _holders(account_ids.values_list("pk", flat=True)) | _members_above(unit)
    return sync_users(users)


def sync_membership_grants(membership: Membership) -> None:
    """Kept for callers that created a membership: the member's rows, recomputed."""
    sync_user(membership.user)


def sync_account_grants(account: SocialAccount) -> None:
    """Kept for callers that created an account: the rows on it, recomputed."""
    sync_account(account)


@dataclass(frozen=True)
class Drift:
    user: User
    missing: frozenset[Row]  # explained, not held
    unexplained: frozenset[Row]  # held, explained by nothing


def drift() -> list[Drift]:
    """Every person whose rows differ from what explains them, for ``check_permissions``."""
    from accounts.models import User

    ids = set(_rows_query().values_list("user_id", flat=True))
    ids |= set(Membership.objects.values_list("user_id", flat=True))
    ids |= set(AccountGrant.objects.values_list("user_id", flat=True))
    found = []
    for user in User.objects.filter(pk__in=ids).order_by("username"):
        wanted, held = explained_rows(user), held_rows(user)
        if wanted != held:
            found.append(Drift(user, frozenset(wanted - held), frozenset(held - wanted)))
    return found


def group_rows() -> QuerySet[GroupObjectPermission]:
    """Rights given to a group on an account. Nothing explains them: rights follow people's
    memberships and grants, and a group's row would give the right to every member of the
    group, past any change of their roles (``has_perm`` and ``users_with`` honour it)."""
    rows: QuerySet[GroupObjectPermission] = GroupObjectPermission.objects.filter(
        content_type=_content_type(), permission__codename__in=CODENAMES
    ).select_related("group", "permission")
    return rows


# --- per-account grants ------------------------------------------------------------------


@transaction.atomic
def grant(user: User, perm: Perm, account: SocialAccount, *, by: User | None = None) -> None:
    """Give one right on one account outside any role; it lasts until ``revoke``."""
    with acting(by=by, cause="account_grant"):
        AccountGrant.objects.get_or_create(
            user=user, account=account, right=_codename(perm), defaults={"granted_by": by}
        )
        sync_user(user)


@transaction.atomic
def revoke(user: User, perm: Perm, account: SocialAccount, *, by: User | None = None) -> None:
    """End a per-account grant. A right the user's roles still give stays: to end that,
    change the membership."""
    # The receivers sync on the delete: they must know who acted, for the audit.
    with acting(by=by, cause="account_grant_ended"):
        AccountGrant.objects.filter(user=user, account=account, right=_codename(perm)).delete()
        sync_user(user)

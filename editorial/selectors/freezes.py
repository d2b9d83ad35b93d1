"""Reads of publishing freezes: which are active, what they hold, who sees them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts import permissions
from editorial.models import Freeze, Post
from editorial.selectors.posts import visible_account_ids

if TYPE_CHECKING:
    from accounts.models import User


def active_freezes() -> QuerySet[Freeze]:
    freezes: QuerySet[Freeze] = Freeze.objects.filter(lifted_at__isnull=True).select_related(
        "account", "frozen_by"
    )
    return freezes


@dataclass(frozen=True)
class FreezeState:
    org_wide: bool  # an organisation-wide freeze is active: nothing starts
    account_ids: frozenset[int]  # accounts frozen on their own

    def blocks(self, account_ids: set[int]) -> bool:
        return self.org_wide or bool(self.account_ids & account_ids)


def freeze_state() -> FreezeState:
    rows = list(Freeze.objects.filter(lifted_at__isnull=True).values_list("account_id", flat=True))
    return FreezeState(
        org_wide=None in rows, account_ids=frozenset(i for i in rows if i is not None)
    )


def without_frozen(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Leave out posts that a freeze holds: all of them under an organisation-wide freeze,
    else those with at least one frozen account. Evaluated in the same query as the claim."""
    active = Freeze.objects.filter(lifted_at__isnull=True)
    return posts.exclude(Exists(active.filter(account__isnull=True))).exclude(
        Exists(active.filter(account__posts=OuterRef("pk")))
    )


def freezes_visible_to(user: User) -> QuerySet[Freeze]:
    """The organisation's freezes, and those of the accounts the user may publish on."""
    freezes = Freeze.objects.select_related("account", "frozen_by", "lifted_by")
    if user.is_superuser:
        return freezes
    accounts = permissions.accounts_for(user, permissions.Perm.PUBLISH).values("pk")
    return freezes.filter(Q(account__isnull=True) | Q(account__in=accounts))


def freezes_concerning(user: User, visible: Collection[int] | None = None) -> list[Freeze]:
    """Active freezes the user should be warned of on every page: the organisation's, and
    those of the accounts they hold any grant on (``visible``: their ids, when the caller has
    read them already). One query when nothing is frozen."""
    active = list(active_freezes())
    if not active or all(f.account_id is None for f in active):
        return active
    mine = visible_account_ids(user) if visible is None else visible
    return [f for f in active if f.account_id is None or f.account_id in mine]

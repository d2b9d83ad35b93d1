"""Who may export an account's records for the archives (``publishing.services.records``).

Asked of ``accounts.permissions`` (what explains a right), beside it rather than in it: the
rule is the records office's, not a right stored per account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from accounts.models import AccountGrant, SocialAccount
from accounts.permissions import Perm, explains, may_manage_unit, units_managed_by

if TYPE_CHECKING:
    from accounts.models import User

WAIVE_GRANT = Perm.WAIVE.value.split(".", 1)[1]


def may_export_records(user: User, account: SocialAccount) -> bool:
    """Who may export an account's records (``publishing.services.records``): a superuser,
    an administrator of the account's unit or of a unit above it, and whoever holds the waive
    right on the account (those who read the exceptions report for it). Asked of what explains
    the right, not of the rows: a deactivated account's records stay exportable."""
    if not user.is_active:
        return False
    return may_manage_unit(user, account.unit) or explains(user, Perm.WAIVE, account)


def accounts_exportable_by(user: User) -> QuerySet[SocialAccount]:
    """The accounts whose records ``user`` may export (see ``may_export_records``)."""
    if not user.is_active:
        return SocialAccount.objects.none()
    managed = units_managed_by(user).values("pk")
    # The waive right comes from the administrator role (the managed units) or a grant.
    waived = AccountGrant.objects.filter(user_id=user.pk, right=WAIVE_GRANT)
    return SocialAccount.objects.filter(
        Q(unit_id__in=managed) | Q(pk__in=waived.values("account_id"))
    ).order_by("network", "handle")

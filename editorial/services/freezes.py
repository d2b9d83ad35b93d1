"""Freezes: stop the scheduler from starting posts, without touching the schedule."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SocialAccount, User
from editorial.models import (
    Freeze,
)
from editorial.policies.freezes import may_freeze
from editorial.workflow import (
    EditorialError,
    audit,
)


def _require_freeze_right(user: User, account: SocialAccount | None) -> None:
    if not may_freeze(user, account):
        if account is None:
            raise PermissionDenied(
                _("Only an administrator of the organisation can freeze or lift it as a whole.")
            )
        raise PermissionDenied(
            _("Only a publisher of %(account)s can freeze or lift it.") % {"account": account}
        )


def _freeze_record(freeze: Freeze) -> dict[str, Any]:
    account = freeze.account
    return {
        "freeze_id": freeze.pk,
        "account": {"id": account.pk, "name": str(account)} if account else None,
        "reason": freeze.reason,
    }


@transaction.atomic
def freeze_create(*, account: SocialAccount | None, reason: str, by: User) -> Freeze:
    """Stop scheduled publishing on ``account`` (None: every account) until lifted.

    Posts keep their state and time: the scheduler passes over them while the freeze lasts
    and starts them on its first tick after the lift. Posts already publishing go on.
    """
    _require_freeze_right(by, account)
    reason = reason.strip()
    if not reason:
        raise EditorialError(_("Say why publishing is frozen: a reason is required."))
    active = Freeze.objects.select_for_update().filter(lifted_at__isnull=True, account=account)
    if active.exists():
        raise EditorialError(
            _("%(target)s is already frozen: lift that freeze first.")
            % {"target": str(account) if account else _("The whole organisation")}
        )
    freeze = Freeze.objects.create(account=account, reason=reason, frozen_by=by)
    audit(None, "frozen", actor=by, **_freeze_record(freeze))
    return freeze


@transaction.atomic
def freeze_lift(*, freeze: Freeze, by: User) -> Freeze:
    """Lift a freeze; the posts it held go out on the scheduler's next tick."""
    locked: Freeze = (
        Freeze.objects.select_for_update(of=("self",)).select_related("account").get(pk=freeze.pk)
    )
    _require_freeze_right(by, locked.account)
    if not locked.is_active:
        raise EditorialError(_("This freeze was already lifted."))
    locked.lifted_by = by
    locked.lifted_at = timezone.now()
    locked.save(update_fields=["lifted_by", "lifted_at"])
    audit(None, "unfrozen", actor=by, **_freeze_record(locked))
    return locked

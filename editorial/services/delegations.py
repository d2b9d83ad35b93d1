"""Members lend their approval rights to a deputy for a few days, and end that early.

The model is ``accounts.Delegation`` (``editorial.policies`` reads it when resolving who may
approve). The services live here rather than in ``accounts`` so that giving and ending a
delegation is in the audit trail, next to the approvals it makes possible.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Delegation, Membership, OrgUnit, User
from editorial import selectors
from editorial.workflow import EditorialError, audit


def _today() -> date:
    return timezone.localdate()


def _record(delegation: Delegation) -> dict[str, Any]:
    unit = delegation.unit
    return {
        "delegation_id": delegation.pk,
        "member": {"id": delegation.from_user_id, "name": str(delegation.from_user)},
        "deputy": {"id": delegation.to_user_id, "name": str(delegation.to_user)},
        "unit": {"id": unit.pk, "name": unit.name} if unit else None,
        "starts_on": delegation.starts_on.isoformat(),
        "ends_on": delegation.ends_on.isoformat(),
    }


def _check_dates(starts_on: date, ends_on: date) -> None:
    if starts_on < _today():
        raise EditorialError(_("The delegation cannot start in the past: start today or later."))
    if ends_on < starts_on:
        raise EditorialError(
            _("The last day comes before the first: choose an end on or after %(start)s.")
            % {"start": starts_on.isoformat()}
        )


@transaction.atomic
def delegation_create(
    *,
    by: User,
    deputy: User,
    starts_on: date,
    ends_on: date,
    unit: OrgUnit | None = None,
) -> Delegation:
    """Lend ``by``'s approval rights (all, or those held through ``unit``) to ``deputy``."""
    if deputy.pk == by.pk:
        raise EditorialError(_("You cannot be your own deputy: choose another member."))
    if not by.is_active or not Membership.objects.filter(user=by).exists():
        raise PermissionDenied(_("Only members of a unit can delegate their approvals."))
    if unit is not None and not selectors.delegable_units(by).filter(pk=unit.pk).exists():
        raise EditorialError(
            _("You hold no role in %(unit)s: leave the unit empty or choose one of yours.")
            % {"unit": unit.name}
        )
    if not selectors.deputy_candidates(by).filter(pk=deputy.pk).exists():
        raise EditorialError(
            _("%(deputy)s is not an active member of your units: choose a colleague.")
            % {"deputy": deputy}
        )
    _check_dates(starts_on, ends_on)
    # Serialise a member's delegations so two tabs cannot both pass the overlap check.
    get_user_model().objects.select_for_update().filter(pk=by.pk).first()
    overlapping = Delegation.objects.filter(
        from_user=by, to_user=deputy, unit=unit, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if overlapping.exists():
        raise EditorialError(
            _("%(deputy)s is already your deputy for part of these days: end that one first.")
            % {"deputy": deputy}
        )
    delegation = Delegation.objects.create(
        from_user=by, to_user=deputy, unit=unit, starts_on=starts_on, ends_on=ends_on
    )
    audit(None, "delegation_created", actor=by, **_record(delegation))
    return delegation


@transaction.atomic
def delegation_end(*, delegation: Delegation, by: User) -> Delegation | None:
    """End a delegation now: the deputy can no longer approve in the member's name today.

    One that has not started before today is cancelled (removed: no day of it remains, and
    the audit trail keeps what it was); one that started earlier ends yesterday. Returns the
    shortened delegation, or None when it was cancelled.
    """
    locked: Delegation = (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("from_user", "to_user", "unit")
        .get(pk=delegation.pk)
    )
    if locked.from_user_id != by.pk:
        raise PermissionDenied(
            _("Only %(member)s, who gave this delegation, can end it.")
            % {"member": locked.from_user}
        )
    today = _today()
    if locked.ends_on < today:
        raise EditorialError(_("This delegation is already over."))
    record = _record(locked)
    if locked.starts_on >= today:
        locked.delete()
        audit(None, "delegation_ended", actor=by, cancelled=True, **record)
        return None
    locked.ends_on = today - timedelta(days=1)
    locked.save(update_fields=["ends_on"])
    audit(None, "delegation_ended", actor=by, cancelled=False, ended_on=today.isoformat(), **record)
    return locked

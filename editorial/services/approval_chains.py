"""Approval chains (``ApprovalPolicy`` and its ordered ``ApprovalStep``s) written and removed.

A chain decides who must approve a unit's or an account's posts: changing it is as weighty as
changing a role, so it is guarded (a superuser, or an administrator of the policy's unit or of
a unit above it) and audited (the policy and its steps before and after). Approvals already
given keep their steps: a step someone approved with cannot be removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from editorial.models import ApprovalPolicy, ApprovalStep
from editorial.policies.chains import may_manage_policy, policy_unit, step_in_use
from editorial.workflow import EditorialError, audit_record


def _require(by: User, policy: ApprovalPolicy) -> None:
    if not may_manage_policy(by, policy):
        raise PermissionDenied(
            _("Only a superuser or an administrator of %(unit)s can change its approval chain.")
            % {"unit": policy_unit(policy) or "?"}
        )


def _describe_step(step: ApprovalStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "order": step.order,
        "name": step.name,
        "kind": step.kind,
        "role": step.role,
        "unit": step.unit.code if step.unit is not None else None,
        "group": step.group.name if step.group is not None else None,
        "levels_up": step.levels_up,
        "mode": step.mode,
        "quorum": step.quorum,
        "tiers": list(step.tiers or []),
    }


def _describe(policy: ApprovalPolicy) -> dict[str, Any]:
    account, unit = policy.account, policy.unit
    return {
        "name": policy.name,
        "account": {"id": account.pk, "name": account.handle} if account is not None else None,
        "unit": {"id": unit.pk, "code": unit.code} if unit is not None else None,
        "reschedule_rule": policy.reschedule_rule,
        "reschedule_tolerance_minutes": policy.reschedule_tolerance_minutes,
        "steps": [_describe_step(step) for step in policy.steps.order_by("order", "pk")],
    }


def _apply_steps(
    policy: ApprovalPolicy, steps: Iterable[ApprovalStep], removed: Iterable[ApprovalStep]
) -> None:
    for step in removed:
        if step.pk is None or step.policy_id != policy.pk:
            continue
        if step_in_use(step):
            raise EditorialError(
                _("Step %(step)s has approvals: it cannot be removed.") % {"step": step.name}
            )
        step.delete()
    for step in steps:
        step.policy = policy
        step.full_clean()
        step.save()


@transaction.atomic
def approval_policy_save(
    *,
    policy: ApprovalPolicy,
    by: User,
    steps: Iterable[ApprovalStep] = (),
    removed: Iterable[ApprovalStep] = (),
) -> ApprovalPolicy:
    """Create or change a chain: ``policy`` carries its new name and target, ``steps`` the
    steps added or changed (saved on it), ``removed`` the steps taken out. Moving a chain to
    another unit or account needs the right on both. Recorded as ``approval_policy_created``
    or ``approval_policy_changed`` with the chain before and after."""
    previous = ApprovalPolicy.objects.select_for_update().filter(pk=policy.pk).first()
    _require(by, policy)
    if previous is not None:
        _require(by, previous)
    before = _describe(previous) if previous is not None else None
    policy.full_clean()
    policy.save()
    _apply_steps(policy, steps, removed)
    after = _describe(policy)
    if before is None:
        audit_record(verb="approval_policy_created", actor=by, policy_id=policy.pk, **after)
    elif before != after:
        audit_record(
            verb="approval_policy_changed",
            actor=by,
            policy_id=policy.pk,
            before=before,
            after=after,
        )
    return policy


@transaction.atomic
def approval_policy_delete(*, policy: ApprovalPolicy, by: User) -> None:
    """Remove a chain: the unit's or account's posts fall back to the next chain up (or the
    built-in one). Refused while one of its steps carries approvals."""
    locked = ApprovalPolicy.objects.select_for_update().get(pk=policy.pk)
    _require(by, locked)
    if any(step_in_use(step) for step in locked.steps.all()):
        raise EditorialError(
            _("Chain %(name)s has approvals on its steps: it cannot be removed.")
            % {"name": locked.name}
        )
    described = _describe(locked)
    pk = locked.pk
    locked.delete()
    audit_record(verb="approval_policy_deleted", actor=by, policy_id=pk, **described)

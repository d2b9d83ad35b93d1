"""Who must approve a post: the chain of steps that applies, and who may approve each step.

A policy is attached to a social account or an org unit; the most specific wins (the
account's own, else the nearest unit's going up the tree from the account's unit). Without
one, the built-in default applies: one step, any reviewer holding the review grant on every
account of the post. A post on several accounts follows each account's chain, one after the
other (the default step first when some account has no policy of its own).

A political post (chosen by the author, or raised by the charter during a pre-electoral
period) is never left to the ordinary single reviewer: a chain with no step of its own for the
political tier gets the built-in one, the speaking unit's head (its administrators) or an
electoral referent acting for it.

Steps are sequential: step k+1 opens once step k is satisfied by approvals of the current
content hash. Reads only: ``editorial.services`` records approvals and moves the post.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import OrgUnit, SocialAccount, User
from charter.engine import CheckReport
from editorial.models import TIER_ORDER, ApprovalPolicy, ApprovalStep, Post, PostTier
from editorial.policies.memo import remembered

Kind = ApprovalStep.Kind


def default_step() -> ApprovalStep:
    """Today's rule as a step (unsaved: its approvals carry no step)."""
    return ApprovalStep(
        name=_("Review"), kind=Kind.ACCOUNT_REVIEWERS, mode=ApprovalStep.Mode.ANY, order=0
    )


def political_default_step() -> ApprovalStep:
    """The political tier's built-in step (unsaved), after the chain's other steps."""
    return ApprovalStep(
        name=_("Unit head or electoral referent"),
        kind=Kind.ELECTORAL,
        mode=ApprovalStep.Mode.ANY,
        order=1,
        tiers=[PostTier.POLITICAL.value],
    )


def _has_political_step(steps: list[ApprovalStep]) -> bool:
    return any(s.kind == Kind.ELECTORAL or PostTier.POLITICAL in (s.tiers or []) for s in steps)


@dataclass(frozen=True)
class Chain:
    policies: tuple[ApprovalPolicy, ...]
    # Every step of the chain in order, whatever the tier (see ``steps_for``).
    steps: tuple[ApprovalStep, ...]


def policy_for_account(account: SocialAccount) -> ApprovalPolicy | None:
    return remembered(("policy", account.pk), lambda: _policy_for_account(account))


def _policy_for_account(account: SocialAccount) -> ApprovalPolicy | None:
    policy = ApprovalPolicy.objects.filter(account=account).first()
    if policy is not None:
        return policy
    units = [account.unit, *account.unit.ancestors()]
    by_unit = {p.unit_id: p for p in ApprovalPolicy.objects.filter(unit__in=units)}
    return next((by_unit[u.pk] for u in units if u.pk in by_unit), None)


def post_accounts(post: Post) -> list[SocialAccount]:
    """The post's accounts with their units: those the caller read with the posts (the review
    queue prefetches them for all its posts at once), else one query."""
    if "accounts" in getattr(post, "_prefetched_objects_cache", {}):
        return list(post.accounts.all())
    return list(post.accounts.select_related("unit"))


def _policy_steps(policy: ApprovalPolicy) -> list[ApprovalStep]:
    return remembered(
        ("steps", policy.pk), lambda: list(policy.steps.select_related("unit", "group"))
    )


def policy_for(post: Post) -> Chain:
    policies: list[ApprovalPolicy] = []
    uses_default = False
    for account in sorted(post_accounts(post), key=lambda a: a.pk):
        policy = policy_for_account(account)
        if policy is None:
            uses_default = True
        elif policy not in policies:
            policies.append(policy)
    steps = [default_step()] if uses_default else []
    for policy in policies:
        steps += _policy_steps(policy)
    if not _has_political_step(steps):
        steps.append(political_default_step())
    return Chain(policies=tuple(policies), steps=tuple(steps))


def charter_tier(post: Post, report: CheckReport) -> tuple[PostTier, list[str]] | None:
    """The tier the charter's findings demand above the post's own (an election window
    needs the electoral referent), with the rules that demand it; None if none does.
    Submission raises the post to it; the draft's chain panel shows the steps it adds."""
    wanted = [f for f in report.findings if f.min_tier in TIER_ORDER]
    if not wanted:
        return None
    needed = max((PostTier(f.min_tier) for f in wanted), key=TIER_ORDER.index)
    if TIER_ORDER.index(needed) <= TIER_ORDER.index(PostTier(post.tier)):
        return None
    return needed, sorted({f.rule for f in wanted if f.min_tier == needed})


def steps_for(post: Post, chain: Chain | None = None) -> list[ApprovalStep]:
    """The steps that apply to the post's tier. Never none: four-eyes needs one approval."""
    steps = [s for s in (chain or policy_for(post)).steps if s.applies_to(post.tier)]
    return steps or [default_step()]


def policy_unit(policy: ApprovalPolicy) -> OrgUnit | None:
    """The unit a policy speaks for: its own, or its account's."""
    if policy.account_id is not None:
        return policy.account.unit if policy.account is not None else None
    return policy.unit


def may_manage_policy(user: User, policy: ApprovalPolicy) -> bool:
    """A superuser, or an administrator of the policy's unit or of a unit above it."""
    unit = policy_unit(policy)
    if unit is None:
        return user.is_active and user.is_superuser
    return permissions.may_manage_unit(user, unit)


def step_in_use(step: ApprovalStep) -> bool:
    """Approvals were given on this step: it stays, so that they keep saying what they were."""
    return step.pk is not None and step.approvals.exists()

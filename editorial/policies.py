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

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Delegation, Membership, OrgUnit, SocialAccount
from charter.engine import CheckReport
from charter.selectors import electoral_referents_for_unit
from editorial.models import (
    TIER_ORDER,
    Approval,
    ApprovalPolicy,
    ApprovalStep,
    Consultation,
    Post,
    PostTier,
)

if TYPE_CHECKING:
    from accounts.models import User

Kind = ApprovalStep.Kind
HIERARCHY_ROLES = (Membership.Role.REVIEWER, Membership.Role.ADMIN)


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
    policy = ApprovalPolicy.objects.filter(account=account).first()
    if policy is not None:
        return policy
    units = [account.unit, *account.unit.ancestors()]
    by_unit = {p.unit_id: p for p in ApprovalPolicy.objects.filter(unit__in=units)}
    return next((by_unit[u.pk] for u in units if u.pk in by_unit), None)


def policy_for(post: Post) -> Chain:
    policies: list[ApprovalPolicy] = []
    uses_default = False
    for account in sorted(post.accounts.select_related("unit"), key=lambda a: a.pk):
        policy = policy_for_account(account)
        if policy is None:
            uses_default = True
        elif policy not in policies:
            policies.append(policy)
    steps = [default_step()] if uses_default else []
    for policy in policies:
        steps += list(policy.steps.select_related("unit", "group"))
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


def hierarchy_unit(unit: OrgUnit, levels_up: int) -> OrgUnit:
    """The unit ``levels_up`` above ``unit``; a shorter tree stops at its top unit."""
    node = unit
    for _level in range(levels_up):
        if node.parent is None:
            break
        node = node.parent
    return node


def scope_unit(step: ApprovalStep, post: Post) -> OrgUnit | None:
    """The unit through which the step's approvers hold their right (None: no unit)."""
    if step.kind == Kind.ROLE_IN_UNIT:
        return step.unit
    if step.kind == Kind.HIERARCHY:
        return hierarchy_unit(post.unit, step.levels_up)
    if step.kind == Kind.ELECTORAL:
        return post.unit
    return None


def direct_approvers(step: ApprovalStep, post: Post) -> set[int]:
    """Active users who may approve the step in their own right (the author included)."""
    users = get_user_model().objects.filter(is_active=True)
    if step.kind == Kind.ACCOUNT_REVIEWERS:
        accounts = list(post.accounts.all())
        if not accounts:
            return set()
        grants = [permissions.users_with(permissions.Perm.REVIEW, a) for a in accounts]
        return set.intersection(*grants)
    if step.kind == Kind.GROUP:
        if step.group_id is None:
            return set()
        return set(users.filter(groups=step.group_id).values_list("pk", flat=True))
    if step.kind == Kind.ELECTORAL:
        heads = Membership.objects.filter(
            unit=post.unit, role=Membership.Role.ADMIN, user__is_active=True
        )
        return set(heads.values_list("user_id", flat=True)) | electoral_referents_for_unit(
            post.unit
        )
    unit = scope_unit(step, post)
    roles = HIERARCHY_ROLES if step.kind == Kind.HIERARCHY else (step.role,)
    members = Membership.objects.filter(unit=unit, role__in=roles, user__is_active=True)
    return set(members.values_list("user_id", flat=True))


def _delegation_covers(delegation: Delegation, step: ApprovalStep, post: Post) -> bool:
    if step.kind == Kind.ACCOUNT_REVIEWERS:
        return all(delegation.covers(a.unit) for a in post.accounts.select_related("unit"))
    return delegation.covers(scope_unit(step, post))


def approver_rights(
    step: ApprovalStep, post: Post, *, today: date | None = None
) -> dict[int, int | None]:
    """Who may approve the step: user id → None in their own right, or the member they stand in
    for (a delegation active ``today``). Nobody stands in for the author."""
    today = today or timezone.localdate()
    direct = direct_approvers(step, post)
    rights: dict[int, int | None] = dict.fromkeys(direct)
    delegations = (
        Delegation.objects.filter(
            from_user_id__in=direct - {post.author_id},
            starts_on__lte=today,
            ends_on__gte=today,
            to_user__is_active=True,
        )
        .select_related("unit")
        .order_by("pk")
    )
    for delegation in delegations:
        if delegation.to_user_id not in rights and _delegation_covers(delegation, step, post):
            rights[delegation.to_user_id] = delegation.from_user_id
    return rights


def eligible_approvers(step: ApprovalStep, post: Post) -> set[int]:
    """Ids of everyone who may approve the step today, deputies included."""
    return set(approver_rights(step, post))


def _principal(approval: Approval) -> int:
    """Whose authority an approval uses: the member a deputy stood in for, else the approver."""
    return approval.as_deputy_of_id or approval.approver_id


def _persons(approval: Approval) -> set[int]:
    """Everyone whose authority an approval used: the approver and whom they stood in for."""
    persons = {approval.approver_id}
    if approval.as_deputy_of_id is not None:
        persons.add(approval.as_deputy_of_id)
    return persons


@dataclass
class StepStatus:
    step: ApprovalStep
    number: int
    rights: dict[int, int | None]
    # Approvals of the current content for this step (older revisions never count).
    approvals: list[Approval] = field(default_factory=list)
    required: int = 1
    # Approvals still missing (for all-of: members who have not approved yet).
    remaining: int = 1
    satisfied: bool = False
    current: bool = False

    @property
    def principals(self) -> set[int]:
        return {user for user, deputy_of in self.rights.items() if deputy_of is None}

    @property
    def covered(self) -> set[int]:
        return {_principal(a) for a in self.approvals}


def current_approvals(post: Post) -> list[Approval]:
    revision = post.current_revision
    if revision is None:
        return []
    return list(
        Approval.objects.filter(post=post, revision=revision, content_hash=revision.content_hash)
        .select_related("approver", "as_deputy_of", "step")
        .order_by("created_at", "pk")
    )


def chain_status(post: Post) -> list[StepStatus]:
    approvals = current_approvals(post)
    statuses = []
    opened = False
    # Approvals of a built-in step carry no step: they go to the built-in steps in the order
    # they were given, one each (built-in steps need any one approver), since each was
    # recorded for the step open at the time.
    builtin = [a for a in approvals if a.step_id is None]
    for number, step in enumerate(steps_for(post), start=1):
        status = StepStatus(step=step, number=number, rights=approver_rights(step, post))
        if step.pk is None:
            status.approvals, builtin = builtin[:1], builtin[1:]
        else:
            status.approvals = [a for a in approvals if a.step_id == step.pk]
        principals = status.principals - {post.author_id}
        if step.quorum:
            status.required = step.quorum
            status.remaining = max(step.quorum - len(status.covered), 0)
        elif step.mode == ApprovalStep.Mode.ALL:
            status.required = max(len(principals), 1)
            status.remaining = len(principals - status.covered) if principals else 1
        else:
            status.remaining = 0 if status.covered else 1
        status.satisfied = status.remaining == 0
        if not status.satisfied and not opened:
            status.current = opened = True
        statuses.append(status)
    return statuses


def is_complete(statuses: list[StepStatus]) -> bool:
    return all(s.satisfied for s in statuses)


def open_step(statuses: list[StepStatus]) -> StepStatus | None:
    return next((s for s in statuses if s.current), None)


def would_complete(statuses: list[StepStatus]) -> bool:
    """Whether one more approval of the open step would complete the chain."""
    unsatisfied = [s for s in statuses if not s.satisfied]
    return len(unsatisfied) == 1 and unsatisfied[0].remaining == 1


def describe(step: ApprovalStep, post: Post) -> str:
    """Who approves the step, in words, for the post page."""
    if step.kind == Kind.ROLE_IN_UNIT:
        return _("%(role)s of %(unit)s") % {
            "role": Membership.Role(step.role).label if step.role else "",
            "unit": step.unit,
        }
    if step.kind == Kind.GROUP:
        return _("members of the group %(group)s") % {"group": step.group}
    if step.kind == Kind.HIERARCHY:
        return _("reviewers of %(unit)s (%(n)s level(s) above the speaking unit)") % {
            "unit": hierarchy_unit(post.unit, step.levels_up),
            "n": step.levels_up,
        }
    if step.kind == Kind.ELECTORAL:
        return _("the head of %(unit)s or an electoral referent") % {"unit": post.unit}
    return _("a reviewer of every account of the post")


def approval_refusal(
    post: Post, user: User, statuses: list[StepStatus] | None = None
) -> str | None:
    """Why ``user`` may not approve the open step of ``post`` now, or None if they may."""
    if post.author_id == user.pk:
        return _("You cannot review your own post (four-eyes rule).")
    if not user.is_active:
        return _("Your account is disabled.")
    statuses = chain_status(post) if statuses is None else statuses
    step = open_step(statuses)
    if step is None:
        # Every step is satisfied: approving only completes the chain, unless a blocking
        # consultation holds it (its agreement approves the post, not another click).
        return waiting_for_consultations(post)
    return _already_used(user, step, statuses) or _not_eligible(user, step, statuses)


def _already_used(user: User, step: StepStatus, statuses: list[StepStatus]) -> str | None:
    """One person approves at most one step: as themselves or through their deputy."""
    principal = step.rights.get(user.pk)
    for other in statuses:
        if other is step:
            continue
        persons = set().union(*(_persons(a) for a in other.approvals))
        if user.pk in persons:
            return _(
                "You already approved step “%(step)s” of this revision: one person approves "
                "at most one step of a post (four-eyes rule)."
            ) % {"step": other.step.name}
        if principal is not None and principal in persons:
            return _(
                "The member you stand in for already approved step “%(step)s”: one person "
                "approves at most one step of a post, deputies included."
            ) % {"step": other.step.name}
    if (principal or user.pk) in step.covered or user.pk in {a.approver_id for a in step.approvals}:
        return _("You (or the member you stand in for) already approved this step.")
    return None


def _not_eligible(user: User, step: StepStatus, statuses: list[StepStatus]) -> str | None:
    if user.pk in step.rights:
        return None
    later = next((s for s in statuses if s.number > step.number and user.pk in s.rights), None)
    if later is not None:
        return _(
            "Step %(open)s “%(step)s” must be approved before step %(yours)s “%(later)s”, "
            "which is yours."
        ) % {
            "open": step.number,
            "step": step.step.name,
            "yours": later.number,
            "later": later.step.name,
        }
    return _("You are not among the approvers of step %(n)s “%(step)s”.") % {
        "n": step.number,
        "step": step.step.name,
    }


def waiting_for_consultations(post: Post) -> str | None:
    """Why a complete chain does not approve the post yet, or None."""
    units = [str(c.unit) for c in Consultation.objects.holding(post).select_related("unit")]
    if not units:
        return None
    return _(
        "Every step is approved; the post waits for the consultation of %(units)s: "
        "it is approved once they agree on this revision."
    ) % {"units": ", ".join(units)}


def may_approve(post: Post, user: User) -> bool:
    return approval_refusal(post, user) is None


def approves_any_step(post: Post, user: User) -> bool:
    """Whether the user has a say on the post (request changes, open it from the queue)."""
    if post.author_id == user.pk:
        return False
    return any(user.pk in approver_rights(step, post) for step in steps_for(post))


def chain_problems(post: Post) -> list[str]:
    """Steps nobody could ever satisfy (checked at submission, so posts do not get stuck)."""
    problems = []
    for status in chain_status(post):
        possible = len(status.principals - {post.author_id})
        if possible < status.required or possible == 0:
            problems.append(
                _(
                    "Step “%(step)s” needs %(required)s approval(s) but only %(possible)s "
                    "person(s) other than the author can give them: ask an administrator."
                )
                % {"step": status.step.name, "required": status.required, "possible": possible}
            )
    return problems

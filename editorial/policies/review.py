"""Where a post's approval chain stands, and why a user may not approve now.

Steps are sequential: step k+1 opens once step k is satisfied by approvals of the current
content hash. Reads only: ``editorial.services`` records approvals and moves the post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from accounts.models import Membership
from editorial.models import Approval, ApprovalStep, Consultation, Post
from editorial.policies.approvers import approver_rights, hierarchy_unit
from editorial.policies.chains import steps_for

if TYPE_CHECKING:
    from accounts.models import User

Kind = ApprovalStep.Kind


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
    if "approvals" in getattr(post, "_prefetched_objects_cache", {}):
        # The queue read every candidate's approvals at once, in this order, with these rows.
        return [
            a
            for a in post.approvals.all()
            if a.revision_id == revision.pk and a.content_hash == revision.content_hash
        ]
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

"""Every predicate on who may do what, in words: reads only, no writes.

- ``chains``: which approval chain applies to a post (policies, the built-in steps, tiers);
- ``approvers``: who may approve a step, deputies included;
- ``review``: where the chain stands and why a user may not approve now (``may_approve``);
- ``consultations``: who may ask, answer and cancel a consultation, and who is alerted;
- ``posts``: who may act on a post outside the chain (``may_retry``);
- ``urgent``: who may use the urgent procedure, and who completes the post-hoc review;
- ``waivers``: who may waive a charter finding, who may read the exceptions report.

The public names are re-exported, so ``from editorial import policies`` then
``policies.may_approve(...)`` reads the same as before the package.
"""

from __future__ import annotations

from editorial.policies.approvers import (
    HIERARCHY_ROLES,
    approver_rights,
    direct_approvers,
    eligible_approvers,
    hierarchy_unit,
    scope_unit,
)
from editorial.policies.chains import (
    Chain,
    charter_tier,
    default_step,
    policy_for,
    policy_for_account,
    political_default_step,
    steps_for,
)
from editorial.policies.consultations import (
    ANSWERABLE_STATES,
    ASKABLE_STATES,
    answer_refusal,
    ask_refusal,
    cancel_refusal,
    quote,
    unit_heads,
    unit_members,
)
from editorial.policies.posts import may_retry
from editorial.policies.review import (
    StepStatus,
    approval_refusal,
    approves_any_step,
    chain_problems,
    chain_status,
    current_approvals,
    describe,
    is_complete,
    may_approve,
    open_step,
    waiting_for_consultations,
    would_complete,
)
from editorial.policies.urgent import (
    may_publish_urgently,
    owes_posthoc,
    posthoc_refusal,
    stands_in_for,
    urgent_refusal,
)
from editorial.policies.waivers import (
    WAIVABLE_STATES,
    may_read_report,
    may_waive,
    waive_refusal,
)

__all__ = [
    "ANSWERABLE_STATES",
    "ASKABLE_STATES",
    "HIERARCHY_ROLES",
    "WAIVABLE_STATES",
    "Chain",
    "StepStatus",
    "answer_refusal",
    "approval_refusal",
    "approver_rights",
    "approves_any_step",
    "ask_refusal",
    "cancel_refusal",
    "chain_problems",
    "chain_status",
    "charter_tier",
    "current_approvals",
    "default_step",
    "describe",
    "direct_approvers",
    "eligible_approvers",
    "hierarchy_unit",
    "is_complete",
    "may_approve",
    "may_publish_urgently",
    "may_read_report",
    "may_retry",
    "may_waive",
    "open_step",
    "owes_posthoc",
    "policy_for",
    "policy_for_account",
    "political_default_step",
    "posthoc_refusal",
    "quote",
    "scope_unit",
    "stands_in_for",
    "steps_for",
    "unit_heads",
    "unit_members",
    "urgent_refusal",
    "waiting_for_consultations",
    "waive_refusal",
    "would_complete",
]

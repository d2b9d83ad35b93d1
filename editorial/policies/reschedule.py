"""Whether the approvals of a post still cover it at a new time a publisher chose.

Each approval policy says it (``ApprovalPolicy.reschedule_rule``): keep the approvals (the
charter re-checks the new time), approve again when the time moves by more than a tolerance,
or approve again whenever it moves. A post on several accounts follows the strictest of its
accounts' policies; an account without a policy keeps the approvals (the behaviour before
the rule existed). Reads only: ``editorial.services.scheduling`` decides and acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from editorial.models import Post, PostState, RescheduleRule
from editorial.policies.chains import policy_for_account


@dataclass(frozen=True)
class Rule:
    rule: RescheduleRule
    tolerance: timedelta = timedelta(0)

    def strictness(self) -> tuple[int, timedelta]:
        """Larger is stricter: always, then the smallest tolerance, then keep."""
        order = [RescheduleRule.KEEP, RescheduleRule.TOLERANCE, RescheduleRule.ALWAYS]
        return order.index(self.rule), -self.tolerance

    @property
    def reapproves(self) -> bool:
        return self.rule != RescheduleRule.KEEP


KEEP = Rule(RescheduleRule.KEEP)


def reschedule_rule(post: Post) -> Rule:
    """The strictest rule among the policies of the post's accounts (KEEP without any)."""
    rules = [KEEP]
    for account in post.accounts.select_related("unit"):
        policy = policy_for_account(account)
        if policy is None:
            continue
        minutes = policy.reschedule_tolerance_minutes or 0
        rules.append(Rule(RescheduleRule(policy.reschedule_rule), timedelta(minutes=minutes)))
    return max(rules, key=Rule.strictness)


def approved_time(post: Post) -> datetime | None:
    """The time the approvals were given for: where the post is booked (scheduled; a held
    post was taken off the schedule), else the time its revision asks for; None when nobody
    chose one (as soon as possible: any time then is the first choice, not a move)."""
    if post.state == PostState.SCHEDULED and post.scheduled_at is not None:
        return post.scheduled_at
    revision = post.current_revision
    return revision.requested_publish_at if revision is not None else None


def needs_reapproval(
    rule: Rule, *, approved_for: datetime | None, at: datetime, asap: bool = False
) -> bool:
    """Whether moving from ``approved_for`` to ``at`` needs a new approval under ``rule``.

    ``asap``: ``at`` is now, asked as "as soon as possible". When the approved time has
    passed meanwhile (the approval came after it), that is the nearest to what was approved,
    not a move: otherwise a post approved late could never go out under "always".
    """
    if approved_for is None or not rule.reapproves or at == approved_for:
        return False
    if asap and approved_for <= at:
        return False
    if rule.rule == RescheduleRule.ALWAYS:
        return True
    return abs(at - approved_for) > rule.tolerance

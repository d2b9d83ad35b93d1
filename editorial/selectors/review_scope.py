"""Which posts in review a user could possibly approve: the review queue's first, cheap cut.

The queue resolves each candidate's approval chain (``policies.chain_status``), a dozen
queries a post. Asked of every post in review of the whole organisation, that grew with the
organisation (issue #15: 1,000 posts in review among 100,000 took seconds). This filter keeps
the candidates whose chain could name the user, in a fixed number of queries; the exact
check still runs on each candidate, so what the queue shows does not change.

A superset, step kind by step kind (``editorial.policies.approvers.direct_approvers``), for
the user and the members they stand in for today (a deputy approves their steps):
- reviewers of every account of the post: a review right on one of its accounts;
- the speaking unit's head (electoral): an administrator of the post's unit;
- a role in a unit, a group: a post on an account under a policy with such a step;
- the hierarchy, N levels up: a post of a unit at or below one where they review or
  administer; an electoral referent: at or below the unit they act for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from accounts import permissions
from accounts.models import Delegation, Membership, OrgUnit, SocialAccount
from charter.models import ElectoralReferent
from editorial.models import ApprovalStep, Post

if TYPE_CHECKING:
    from accounts.models import User

Kind = ApprovalStep.Kind
HEADS = (Membership.Role.REVIEWER, Membership.Role.ADMIN)


def _below(unit_ids: set[int]) -> set[int]:
    """The units and every unit below them (one query per level of the tree)."""
    found, frontier = set(unit_ids), set(unit_ids)
    while frontier:
        frontier = (
            set(OrgUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        )
        found |= frontier
    return found


def _principals(user: User) -> list[int]:
    today = timezone.localdate()
    lent = Delegation.objects.filter(to_user=user, starts_on__lte=today, ends_on__gte=today)
    return [user.pk, *lent.values_list("from_user_id", flat=True)]


def _policy_accounts(principals: list[int], roles: list[tuple[int, str]]) -> set[int]:
    """Accounts under a policy with a role-in-unit or group step that names a principal."""
    by_role = Q()
    for unit_id, role in roles:
        by_role |= Q(kind=Kind.ROLE_IN_UNIT, unit_id=unit_id, role=role)
    groups = Q(kind=Kind.GROUP, group__user__in=principals)
    steps = (
        ApprovalStep.objects.filter(by_role | groups)
        if roles
        else ApprovalStep.objects.filter(groups)
    )
    policies = list(steps.values_list("policy__account_id", "policy__unit_id").distinct())
    accounts = {account for account, _unit in policies if account is not None}
    units = _below({unit for _account, unit in policies if unit is not None})
    if units:
        accounts |= set(
            SocialAccount.objects.filter(unit_id__in=units).values_list("pk", flat=True)
        )
    return accounts


def review_scope(user: User) -> Q | None:
    """A filter on ``Post`` keeping every post ``user`` might approve; None: no cut can be
    made (an organisation-wide electoral referent may be asked for any unit)."""
    principals = _principals(user)
    referents = ElectoralReferent.objects.filter(user_id__in=principals)
    if referents.filter(unit__isnull=True).exists():
        return None
    roles = list(Membership.objects.filter(user_id__in=principals).values_list("unit_id", "role"))
    accounts = _policy_accounts(principals, roles)
    people = get_user_model().objects.filter(pk__in=principals)
    for person in people:
        accounts |= set(
            permissions.accounts_for(person, permissions.Perm.REVIEW).values_list("pk", flat=True)
        )
    heads = {unit for unit, role in roles if role == Membership.Role.ADMIN}
    above = {unit for unit, role in roles if role in HEADS}
    above |= set(referents.values_list("unit_id", flat=True))
    # A semi-join on the accounts' index: a join ORed with the unit made PostgreSQL scan the
    # whole post-account table (EXPLAIN at 100,000 posts: 16 ms, now under 2).
    on_accounts = Post.accounts.through.objects.filter(socialaccount_id__in=accounts)
    return Q(pk__in=on_accounts.values("post_id")) | Q(unit_id__in=heads | _below(above))

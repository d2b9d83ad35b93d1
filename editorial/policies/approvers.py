"""Who may approve a step: its approvers in their own right, and the deputies standing in."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import permissions
from accounts.models import Delegation, Membership, OrgUnit, SocialAccount
from charter.selectors import electoral_referents_for_unit
from editorial.models import ApprovalStep, Post
from editorial.policies.chains import post_accounts
from editorial.policies.memo import remembered

Kind = ApprovalStep.Kind
HIERARCHY_ROLES = (Membership.Role.REVIEWER, Membership.Role.ADMIN)
REVIEW = permissions.Perm.REVIEW


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
        return remembered(
            ("above", post.unit.pk, step.levels_up),
            partial(hierarchy_unit, post.unit, step.levels_up),
        )
    if step.kind == Kind.ELECTORAL:
        return post.unit
    return None


def direct_approvers(step: ApprovalStep, post: Post) -> set[int]:
    """Active users who may approve the step in their own right (the author included).
    Inside ``memoised()`` (the queue), each account's, group's and unit's answer is read once."""
    if step.kind == Kind.ACCOUNT_REVIEWERS:
        accounts = list(post.accounts.all())
        if not accounts:
            return set()
        grants = [remembered(("reviewers", a.pk), partial(_reviewers, a)) for a in accounts]
        return set.intersection(*grants)
    if step.kind == Kind.GROUP:
        if step.group_id is None:
            return set()
        return remembered(("group", step.group_id), partial(_group_members, step.group_id))
    if step.kind == Kind.ELECTORAL:
        return remembered(("electoral", post.unit.pk), partial(_heads_and_referents, post.unit))
    unit = scope_unit(step, post)
    roles = HIERARCHY_ROLES if step.kind == Kind.HIERARCHY else (step.role,)
    return remembered(("members", unit.pk if unit else None, roles), partial(_members, unit, roles))


def _group_members(group_id: int) -> set[int]:
    users = get_user_model().objects.filter(is_active=True, groups=group_id)
    return set(users.values_list("pk", flat=True))


def _heads_and_referents(unit: OrgUnit) -> set[int]:
    heads = Membership.objects.filter(unit=unit, role=Membership.Role.ADMIN, user__is_active=True)
    return set(heads.values_list("user_id", flat=True)) | electoral_referents_for_unit(unit)


def _members(unit: OrgUnit | None, roles: tuple[str, ...]) -> set[int]:
    members = Membership.objects.filter(unit=unit, role__in=roles, user__is_active=True)
    return set(members.values_list("user_id", flat=True))


def _reviewers(account: SocialAccount) -> set[int]:
    return permissions.users_with(REVIEW, account)


def _delegation_covers(delegation: Delegation, step: ApprovalStep, post: Post) -> bool:
    if step.kind == Kind.ACCOUNT_REVIEWERS:
        return all(delegation.covers(a.unit) for a in post_accounts(post))
    return delegation.covers(scope_unit(step, post))


def approver_rights(
    step: ApprovalStep, post: Post, *, today: date | None = None
) -> dict[int, int | None]:
    """Who may approve the step: user id → None in their own right, or the member they stand in
    for (a delegation active ``today``). Nobody stands in for the author."""
    today = today or timezone.localdate()
    direct = direct_approvers(step, post)
    rights: dict[int, int | None] = dict.fromkeys(direct)
    lenders = frozenset(direct - {post.author_id})
    delegations = remembered(("lent", lenders, today), partial(_lent, lenders, today))
    for delegation in delegations:
        if delegation.to_user_id not in rights and _delegation_covers(delegation, step, post):
            rights[delegation.to_user_id] = delegation.from_user_id
    return rights


def _lent(lenders: frozenset[int], today: date) -> list[Delegation]:
    """The delegations running ``today`` from these members to an active deputy."""
    return list(
        Delegation.objects.filter(
            from_user_id__in=lenders,
            starts_on__lte=today,
            ends_on__gte=today,
            to_user__is_active=True,
        )
        .select_related("unit")
        .order_by("pk")
    )


def eligible_approvers(step: ApprovalStep, post: Post) -> set[int]:
    """Ids of everyone who may approve the step today, deputies included."""
    return set(approver_rights(step, post))

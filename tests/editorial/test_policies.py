"""Which chain applies to a post, and who may approve each step (``editorial.policies``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Group

from accounts.models import Membership, OrgUnit, SocialAccount, User
from accounts.services import membership_create
from editorial import policies, services
from editorial.models import ApprovalStep, Post, PostTier
from tests.conftest import Org
from tests.factories import (
    add_step,
    make_account,
    make_delegation,
    make_policy,
    make_unit,
    make_user,
)

K = ApprovalStep.Kind
R = Membership.Role


@dataclass
class Tree:
    """ministry > direction > service > bureau, one reviewer, author and account in each."""

    units: dict[str, OrgUnit]
    reviewers: dict[str, User]
    authors: dict[str, User]
    accounts: dict[str, SocialAccount]


@pytest.fixture
def tree(db: None) -> Tree:
    units: dict[str, OrgUnit] = {}
    parent = None
    for code, kind in [
        ("min", OrgUnit.Kind.MINISTRY),
        ("dir", OrgUnit.Kind.DIRECTION),
        ("svc", OrgUnit.Kind.SERVICE),
        ("bur", OrgUnit.Kind.BUREAU),
    ]:
        parent = units[code] = make_unit(code=code, name=code.upper(), kind=kind, parent=parent)
    reviewers, authors, accounts = {}, {}, {}
    for code, unit in units.items():
        reviewers[code] = make_user(username=f"reviewer_{code}")
        authors[code] = make_user(username=f"author_{code}")
        membership_create(user=reviewers[code], unit=unit, role=R.REVIEWER)
        membership_create(user=authors[code], unit=unit, role=R.AUTHOR)
        accounts[code] = make_account(unit, "mastodon")
    return Tree(units, reviewers, authors, accounts)


def _post(tree: Tree, code: str, tier: str = PostTier.STANDARD) -> Post:
    return services.post_create(
        by=tree.authors[code], accounts=[tree.accounts[code]], text="Annonce.", tier=tier
    )


def _ids(*users: User) -> set[int]:
    return {u.pk for u in users}


@pytest.mark.parametrize(
    ("author", "levels_up", "approver"),
    [
        ("bur", 1, "svc"),
        ("svc", 1, "dir"),
        ("dir", 1, "min"),
        ("min", 1, "min"),  # the top unit has no parent: capped there
        ("bur", 2, "dir"),
        ("bur", 0, "bur"),
    ],
)
def test_policies_hierarchy_routes_to_the_unit_above_the_author(
    tree: Tree, author: str, levels_up: int, approver: str
) -> None:
    policy = make_policy(unit=tree.units["min"])
    step = add_step(policy, "Hiérarchie", K.HIERARCHY, levels_up=levels_up)
    post = _post(tree, author)
    assert policies.steps_for(post) == [step]
    assert policies.eligible_approvers(step, post) == _ids(tree.reviewers[approver])


def test_policies_hierarchy_counts_admins_but_not_publishers(tree: Tree) -> None:
    admin, publisher = make_user(), make_user()
    membership_create(user=admin, unit=tree.units["svc"], role=R.ADMIN)
    membership_create(user=publisher, unit=tree.units["svc"], role=R.PUBLISHER)
    step = add_step(make_policy(unit=tree.units["min"]), "N+1", K.HIERARCHY, levels_up=1)
    post = _post(tree, "bur")
    assert policies.eligible_approvers(step, post) == _ids(tree.reviewers["svc"], admin)


def test_policies_account_policy_beats_unit_policy(tree: Tree) -> None:
    add_step(make_policy(unit=tree.units["svc"]), "Unit", K.HIERARCHY)
    own = add_step(make_policy(account=tree.accounts["bur"]), "Account", K.HIERARCHY)
    assert policies.steps_for(_post(tree, "bur")) == [own]


def test_policies_nearest_unit_policy_wins(tree: Tree) -> None:
    add_step(make_policy(unit=tree.units["min"]), "Ministry", K.HIERARCHY)
    nearest = add_step(make_policy(unit=tree.units["svc"]), "Service", K.HIERARCHY)
    assert policies.steps_for(_post(tree, "bur")) == [nearest]


def test_policies_default_is_one_reviewer_of_every_account(org: Org) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon, org.bluesky], text="x")
    (step,) = policies.steps_for(post)
    assert step.pk is None and step.kind == K.ACCOUNT_REVIEWERS
    assert policies.eligible_approvers(step, post) == {org.manager.pk}


def test_policies_role_in_unit_names_members_with_that_role(tree: Tree) -> None:
    publisher = make_user()
    membership_create(user=publisher, unit=tree.units["dir"], role=R.PUBLISHER)
    step = add_step(
        make_policy(unit=tree.units["min"]),
        "Publishers",
        K.ROLE_IN_UNIT,
        role=R.PUBLISHER,
        unit=tree.units["dir"],
    )
    assert policies.eligible_approvers(step, _post(tree, "bur")) == {publisher.pk}


def test_policies_group_step_names_active_group_members(tree: Tree) -> None:
    cabinet = Group.objects.create(name="Cabinet")
    member, gone = make_user(), make_user(is_active=False)
    cabinet.user_set.add(member, gone)
    step = add_step(make_policy(unit=tree.units["min"]), "Cabinet", K.GROUP, group=cabinet)
    assert policies.eligible_approvers(step, _post(tree, "svc")) == {member.pk}


def test_policies_tier_picks_the_steps(tree: Tree) -> None:
    policy = make_policy(unit=tree.units["min"])
    everyone = add_step(policy, "N+1", K.HIERARCHY)
    political = add_step(policy, "Cabinet", K.HIERARCHY, levels_up=3, tiers=["political"])
    assert policies.steps_for(_post(tree, "bur")) == [everyone]
    assert policies.steps_for(_post(tree, "bur", PostTier.POLITICAL)) == [everyone, political]


def test_policies_no_step_for_the_tier_falls_back_to_the_default(tree: Tree) -> None:
    add_step(make_policy(unit=tree.units["min"]), "Cabinet", K.HIERARCHY, tiers=["political"])
    (step,) = policies.steps_for(_post(tree, "bur"))
    assert step.kind == K.ACCOUNT_REVIEWERS


def test_policies_step_validation_names_the_missing_field(tree: Tree) -> None:
    from django.core.exceptions import ValidationError

    policy = make_policy(unit=tree.units["min"])
    with pytest.raises(ValidationError) as role:
        add_step(policy, "Role", K.ROLE_IN_UNIT)
    with pytest.raises(ValidationError) as tiers:
        add_step(policy, "Tiers", K.HIERARCHY, tiers=["secret"])
    assert set(role.value.message_dict) == {"role", "unit"}
    assert "secret" in str(tiers.value)


@time_machine.travel(date(2026, 3, 10))
def test_policies_deputy_is_eligible_only_within_the_date_range(tree: Tree) -> None:
    step = add_step(make_policy(unit=tree.units["min"]), "N+1", K.HIERARCHY)
    post = _post(tree, "bur")
    deputy, early, late = make_user(), make_user(), make_user()
    chief = tree.reviewers["svc"]
    make_delegation(chief, deputy, date(2026, 3, 1), date(2026, 3, 10))
    make_delegation(chief, early, date(2026, 2, 1), date(2026, 3, 9))
    make_delegation(chief, late, date(2026, 3, 11), date(2026, 3, 20))
    assert policies.approver_rights(step, post) == {chief.pk: None, deputy.pk: chief.pk}
    assert policies.approver_rights(step, post, today=date(2026, 3, 15)) == {
        chief.pk: None,
        late.pk: chief.pk,
    }


@time_machine.travel(date(2026, 3, 10))
def test_policies_deputy_unit_scope_limits_what_is_lent(tree: Tree) -> None:
    step = add_step(make_policy(unit=tree.units["min"]), "N+1", K.HIERARCHY)
    post = _post(tree, "bur")  # approved through the service
    chief = tree.reviewers["svc"]
    inside, outside = make_user(), make_user()
    make_delegation(chief, inside, date(2026, 3, 1), date(2026, 3, 31), unit=tree.units["dir"])
    make_delegation(chief, outside, date(2026, 3, 1), date(2026, 3, 31), unit=tree.units["bur"])
    assert policies.eligible_approvers(step, post) == {chief.pk, inside.pk}


@time_machine.travel(date(2026, 3, 10))
def test_policies_nobody_stands_in_for_the_author(tree: Tree) -> None:
    step = add_step(make_policy(unit=tree.units["min"]), "Same unit", K.HIERARCHY, levels_up=0)
    author = tree.authors["svc"]
    membership_create(user=author, unit=tree.units["svc"], role=R.REVIEWER)
    deputy = make_user()
    make_delegation(author, deputy, date(2026, 3, 1), date(2026, 3, 31))
    post = _post(tree, "svc")
    assert deputy.pk not in policies.eligible_approvers(step, post)

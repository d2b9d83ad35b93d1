"""Political posts are never left to the ordinary single reviewer: without a step of its own
for that tier, a chain gets the built-in one, the speaking unit's head or an electoral
referent acting for it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from accounts.models import Membership, User
from accounts.services import membership_create
from charter.elections import PARIS
from charter.models import ElectionWindow
from charter.services import electoral_referent_designate
from editorial import policies, services
from editorial.models import ApprovalStep, Post, PostState, PostTier
from tests.conftest import Org
from tests.factories import add_step, make_policy, make_user

K = ApprovalStep.Kind
NOW = datetime(2026, 1, 12, 10, 0, tzinfo=PARIS)


@pytest.fixture
def head(org: Org) -> User:
    head = make_user(username="head", first_name="Hélène", last_name="Chef")
    membership_create(user=head, unit=org.service, role=Membership.Role.ADMIN)
    return head


def _political(org: Org) -> Post:
    post = services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text="Le ministre visite l'usine.",
        tier="political",
    )
    services.post_submit(post=post, by=org.officer)
    return post


def _state(post: Post) -> str:
    post.refresh_from_db()
    return str(post.state)


def test_political_default_chain_adds_the_head_or_referent_step(org: Org, head: User) -> None:
    post = _political(org)
    steps = policies.steps_for(post)
    assert [s.kind for s in steps] == [K.ACCOUNT_REVIEWERS, K.ELECTORAL]
    assert policies.eligible_approvers(steps[1], post) == {head.pk}


def test_political_post_not_approved_by_the_single_reviewer(org: Org, head: User) -> None:
    post = _political(org)
    services.post_approve(post=post, by=org.manager)
    assert _state(post) == PostState.IN_REVIEW
    assert "not among the approvers" in (policies.approval_refusal(post, org.outsider) or "")

    services.post_approve(post=post, by=head)
    assert _state(post) == PostState.APPROVED


def test_political_step_open_to_an_electoral_referent_of_a_unit_above(org: Org) -> None:
    referent = make_user(username="referent")
    superuser = make_user(username="root", is_superuser=True, is_staff=True)
    electoral_referent_designate(user=referent, unit=org.ministry, by=superuser)
    post = _political(org)

    services.post_approve(post=post, by=org.manager)
    services.post_approve(post=post, by=referent)

    assert _state(post) == PostState.APPROVED


def test_political_submission_refused_when_nobody_heads_the_unit(org: Org) -> None:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Le ministre visite.", tier="political"
    )
    with pytest.raises(services.TransitionRefused, match="Unit head or electoral referent"):
        services.post_submit(post=post, by=org.officer)


def test_standard_post_keeps_the_single_reviewer(org: Org, head: User) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Concert samedi.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    assert _state(post) == PostState.APPROVED


def test_policy_with_its_own_political_step_gets_no_builtin_one(org: Org, head: User) -> None:
    policy = make_policy(unit=org.service)
    add_step(policy, "Chef de service", K.ROLE_IN_UNIT, role="reviewer", unit=org.service)
    add_step(policy, "Cabinet", K.ROLE_IN_UNIT, role="admin", unit=org.service, tiers=["political"])
    post = _political(org)
    assert [s.name for s in policies.steps_for(post)] == ["Chef de service", "Cabinet"]


def test_policy_without_a_political_step_gets_the_builtin_one(org: Org, head: User) -> None:
    policy = make_policy(unit=org.service)
    add_step(policy, "Chef de service", K.ROLE_IN_UNIT, role="reviewer", unit=org.service)
    post = _political(org)
    assert [s.kind for s in policies.steps_for(post)] == [K.ROLE_IN_UNIT, K.ELECTORAL]


@time_machine.travel(NOW, tick=False)
def test_charter_tier_raise_in_an_election_period_brings_the_political_step(
    org: Org, head: User
) -> None:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=date(2026, 3, 15)
    )
    post = services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text="La médiathèque ouvre samedi.",
        requested_publish_at=datetime(2026, 1, 20, 9, 0, tzinfo=PARIS),
    )
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    assert post.tier == PostTier.POLITICAL

    services.post_approve(post=post, by=org.manager)
    assert _state(post) == PostState.IN_REVIEW
    services.post_approve(post=post, by=head)
    assert _state(post) == PostState.APPROVED

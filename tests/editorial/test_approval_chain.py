"""Approving through a chain of steps: four-eyes by construction, deputies, content binding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import policies, services
from editorial.models import ApprovalStep, AuditEvent, Post, PostState
from tests.conftest import Org
from tests.factories import add_step, make_delegation, make_policy, make_user

K = ApprovalStep.Kind
S = PostState
R = Membership.Role


@dataclass
class Chain:
    org: Org
    director: User  # reviewer of the ministry: step 2
    first: ApprovalStep  # the service's reviewers (levels_up=0)
    second: ApprovalStep  # the ministry's reviewers (levels_up=1)


@pytest.fixture
def chain(org: Org) -> Chain:
    director = make_user(username="director")
    membership_create(user=director, unit=org.ministry, role=R.REVIEWER)
    policy = make_policy(unit=org.ministry, name="Deux niveaux")
    first = add_step(policy, "Chef de service", K.HIERARCHY, levels_up=0)
    second = add_step(policy, "Direction", K.HIERARCHY, levels_up=1)
    return Chain(org, director, first, second)


def _submitted(org: Org, tier: str = "standard") -> Post:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Les guichets ouvrent lundi.", tier=tier
    )
    services.post_submit(post=post, by=org.officer)
    return post


def _state(post: Post) -> str:
    post.refresh_from_db()
    return str(post.state)


def test_chain_post_is_approved_once_every_step_is(chain: Chain) -> None:
    post = _submitted(chain.org)
    first = services.post_approve(post=post, by=chain.org.manager)
    assert _state(post) == S.IN_REVIEW
    second = services.post_approve(post=post, by=chain.director)
    assert _state(post) == S.APPROVED
    assert first is not None and first.step == chain.first
    assert second is not None and second.step == chain.second


def test_chain_steps_are_sequential(chain: Chain) -> None:
    post = _submitted(chain.org)
    with pytest.raises(PermissionDenied, match="must be approved before step 2"):
        services.post_approve(post=post, by=chain.director)
    assert not post.approvals.exists()


def test_chain_author_approval_refused_even_when_eligible(chain: Chain) -> None:
    membership_create(user=chain.org.officer, unit=chain.org.service, role=R.REVIEWER)
    post = _submitted(chain.org)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        services.post_approve(post=post, by=chain.org.officer)
    assert _state(post) == S.IN_REVIEW


def test_chain_one_person_cannot_approve_two_steps(chain: Chain) -> None:
    membership_create(user=chain.org.manager, unit=chain.org.ministry, role=R.REVIEWER)
    post = _submitted(chain.org)
    services.post_approve(post=post, by=chain.org.manager)
    with pytest.raises(PermissionDenied, match="already approved step “Chef de service”"):
        services.post_approve(post=post, by=chain.org.manager)
    assert _state(post) == S.IN_REVIEW
    assert post.approvals.count() == 1


def test_chain_not_eligible_is_refused_with_the_step_name(chain: Chain) -> None:
    post = _submitted(chain.org)
    with pytest.raises(PermissionDenied, match="not among the approvers of step 1"):
        services.post_approve(post=post, by=make_user())


def test_chain_all_of_needs_every_approver(chain: Chain) -> None:
    chain.first.mode = ApprovalStep.Mode.ALL
    chain.first.save()
    deputy_chief = make_user()
    membership_create(user=deputy_chief, unit=chain.org.service, role=R.REVIEWER)
    post = _submitted(chain.org)
    services.post_approve(post=post, by=chain.org.manager)
    with pytest.raises(PermissionDenied, match="before step 2"):
        services.post_approve(post=post, by=chain.director)
    services.post_approve(post=post, by=deputy_chief)
    services.post_approve(post=post, by=chain.director)
    assert _state(post) == S.APPROVED


def test_chain_quorum_counts_distinct_approvers(chain: Chain) -> None:
    chain.second.quorum = 2
    chain.second.save()
    other = make_user()
    membership_create(user=other, unit=chain.org.ministry, role=R.ADMIN)
    post = _submitted(chain.org)
    services.post_approve(post=post, by=chain.org.manager)
    services.post_approve(post=post, by=chain.director)
    assert _state(post) == S.IN_REVIEW
    services.post_approve(post=post, by=other)
    assert _state(post) == S.APPROVED


def test_chain_tier_adds_steps(chain: Chain) -> None:
    chain.second.tiers = ["political"]
    chain.second.save()
    standard = _submitted(chain.org)
    services.post_approve(post=standard, by=chain.org.manager)
    political = _submitted(chain.org, tier="political")
    services.post_approve(post=political, by=chain.org.manager)
    assert _state(standard) == S.APPROVED
    assert _state(political) == S.IN_REVIEW


def test_chain_submission_refused_when_nobody_can_approve_a_step(chain: Chain) -> None:
    chain.second.quorum = 3
    chain.second.save()
    post = services.post_create(by=chain.org.officer, accounts=[chain.org.mastodon], text="x y")
    with pytest.raises(services.TransitionRefused, match="“Direction” needs 3"):
        services.post_submit(post=post, by=chain.org.officer)
    assert _state(post) == S.DRAFT


def test_chain_approval_of_an_unseen_revision_is_refused(chain: Chain) -> None:
    post = _submitted(chain.org)
    with pytest.raises(services.TransitionRefused, match="revision 1 after you opened revision 0"):
        services.post_approve(post=post, by=chain.org.manager, revision=0)


def test_chain_audit_names_the_step(chain: Chain) -> None:
    post = _submitted(chain.org)
    services.post_approve(post=post, by=chain.org.manager)
    services.post_approve(post=post, by=chain.director)
    events = AuditEvent.objects.filter(post=post, verb__in=["step_approved", "approved"])
    assert [(e.verb, e.data["step"], e.data["step_number"]) for e in events] == [
        ("step_approved", "Chef de service", 1),
        ("approved", "Direction", 2),
    ]


@time_machine.travel(date(2026, 3, 10))
def test_chain_deputy_approves_as_deputy_of_the_member(chain: Chain) -> None:
    deputy = make_user(username="deputy", first_name="Paul", last_name="Adjoint")
    make_delegation(chain.org.manager, deputy, date(2026, 3, 9), date(2026, 3, 10))
    post = _submitted(chain.org)
    approval = services.post_approve(post=post, by=deputy)
    assert approval is not None
    assert approval.approver == deputy and approval.as_deputy_of == chain.org.manager
    event = AuditEvent.objects.get(post=post, verb="step_approved")
    assert event.actor == deputy and event.on_behalf_of == chain.org.manager
    assert event.data["as_deputy_of"] == {"id": chain.org.manager.pk, "name": "Marc Leroy"}


@time_machine.travel(date(2026, 3, 11))
def test_chain_deputy_refused_outside_the_date_range(chain: Chain) -> None:
    deputy = make_user()
    make_delegation(chain.org.manager, deputy, date(2026, 3, 9), date(2026, 3, 10))
    post = _submitted(chain.org)
    with pytest.raises(PermissionDenied, match="not among the approvers"):
        services.post_approve(post=post, by=deputy)


@time_machine.travel(date(2026, 3, 10))
def test_chain_member_and_their_deputy_count_once(chain: Chain) -> None:
    membership_create(user=chain.org.manager, unit=chain.org.ministry, role=R.REVIEWER)
    deputy = make_user()
    make_delegation(chain.org.manager, deputy, date(2026, 3, 1), date(2026, 3, 31))
    post = _submitted(chain.org)
    services.post_approve(post=post, by=deputy)  # step 1, as the manager's deputy
    with pytest.raises(PermissionDenied, match="already approved step"):
        services.post_approve(post=post, by=chain.org.manager)


def test_chain_request_changes_open_to_any_step_approver(chain: Chain) -> None:
    post = _submitted(chain.org)
    services.post_request_changes(post=post, by=chain.director, comment="Précisez la date.")
    assert _state(post) == S.CHANGES_REQUESTED
    with pytest.raises(PermissionDenied):
        services.post_request_changes(post=_submitted(chain.org), by=make_user(), comment="Non.")


def test_chain_status_marks_the_open_step(chain: Chain) -> None:
    post = _submitted(chain.org)
    services.post_approve(post=post, by=chain.org.manager)
    statuses = policies.chain_status(post)
    assert [(s.satisfied, s.current) for s in statuses] == [(True, False), (False, True)]

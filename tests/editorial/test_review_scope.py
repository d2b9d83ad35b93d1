"""The review queue's first cut (``editorial.selectors.review_scope``) never drops a post the
user may approve: for every kind of step, every person the exact check lets approve finds the
post in their scope; and posts of unrelated units are cut."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group

from accounts.models import Membership, OrgUnit, User
from accounts.services import membership_create
from charter.models import ElectoralReferent
from editorial import policies, services
from editorial.models import ApprovalStep, Post
from editorial.selectors import review_queue
from editorial.selectors.review_scope import review_scope
from tests.conftest import Org
from tests.factories import (
    add_step,
    make_account,
    make_delegation,
    make_policy,
    make_unit,
    make_user,
)

Kind = ApprovalStep.Kind
Role = Membership.Role


def _in_review(org: Org, account: object, text: str, tier: str = "standard") -> Post:
    post = services.post_create(by=org.officer, accounts=[account], text=text, tier=tier)  # type: ignore[list-item]
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    return post


def _member(username: str, unit: OrgUnit, role: str) -> User:
    user = make_user(username=username)
    membership_create(user=user, unit=unit, role=role)
    return user


def _scoped(user: User) -> set[int]:
    scope = review_scope(user)
    posts = Post.objects.all() if scope is None else Post.objects.filter(scope)
    return set(posts.values_list("pk", flat=True))


@pytest.mark.django_db
def test_review_scope_keeps_every_post_its_user_may_approve(frozen_now: datetime, org: Org) -> None:
    direction = make_unit(name="Direction", code="dir", parent=org.ministry)
    service = make_unit(name="Service presse", code="presse", parent=direction)
    legal = make_unit(name="Juridique", code="daj", parent=org.ministry)
    account = make_account(service, "mastodon")
    membership_create(user=org.officer, unit=service, role=Role.AUTHOR)
    group = Group.objects.create(name="Relecteurs transverses")
    grouped = make_user(username="grouped")
    grouped.groups.add(group)
    policy = make_policy(unit=direction)
    add_step(policy, "Juristes", Kind.ROLE_IN_UNIT, unit=legal, role=Role.REVIEWER)
    add_step(policy, "Groupe", Kind.GROUP, group=group)
    add_step(policy, "Hiérarchie", Kind.HIERARCHY, levels_up=2)
    people = [
        _member("jurist", legal, Role.REVIEWER),
        _member("head", org.ministry, Role.REVIEWER),
        _member("chief", service, Role.ADMIN),
        grouped,
        make_user(username="deputy"),
        make_user(username="referent"),
    ]
    ElectoralReferent.objects.create(user=people[-1], unit=org.ministry)
    make_delegation(people[0], people[4], date(2026, 3, 1), date(2026, 3, 31))
    posts = [
        _in_review(org, account, "Message ordinaire."),
        _in_review(org, account, "Message politique.", tier="political"),
        _in_review(org, org.mastodon, "Message du service communication."),
    ]
    allowed = {
        (user.username, post.pk)
        for user in [*people, org.manager]
        for post in posts
        if policies.approves_any_step(post, user)
    }
    # Each kind of step is exercised: the scenario is not vacuous.
    assert {name for name, _pk in allowed} >= {"jurist", "head", "grouped", "deputy", "manager"}
    for user in [*people, org.manager]:
        mine = {pk for name, pk in allowed if name == user.username}
        assert mine <= _scoped(user), user.username


@pytest.mark.django_db
def test_review_scope_cuts_posts_of_unrelated_units(frozen_now: datetime, org: Org) -> None:
    elsewhere = make_unit(name="Autre ministère", code="mau", kind=OrgUnit.Kind.MINISTRY)
    account = make_account(elsewhere, "mastodon")
    author = _member("o_author", elsewhere, Role.AUTHOR)
    _member("o_reviewer", elsewhere, Role.REVIEWER)
    theirs = services.post_create(by=author, accounts=[account], text="Chez eux.")
    services.post_submit(post=theirs, by=author)
    ours = _in_review(org, org.mastodon, "Chez nous.")
    assert _scoped(org.manager) & {theirs.pk, ours.pk} == {ours.pk}
    assert [item.post.pk for item in review_queue(org.manager)] == [ours.pk]


@pytest.mark.django_db
def test_review_scope_follows_a_delegation_only_while_it_runs(
    frozen_now: datetime, org: Org
) -> None:
    deputy = make_user(username="deputy")
    post = _in_review(org, org.mastodon, "Pendant l'absence.")
    start = frozen_now.date() + timedelta(days=1)
    make_delegation(org.manager, deputy, start, start + timedelta(days=3))
    assert post.pk not in _scoped(deputy)
    make_delegation(org.manager, deputy, frozen_now.date(), frozen_now.date())
    assert post.pk in _scoped(deputy)
    assert [item.post.pk for item in review_queue(deputy)] == [post.pk]

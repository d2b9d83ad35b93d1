"""A charter finding can force a higher tier: inside an election window the post needs the
electoral referent's approval (the political tier's step), whatever the author chose."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership
from accounts.services import membership_create
from charter.models import ElectionWindow
from editorial import policies, services
from editorial.models import ApprovalStep, Post, PostState, PostTier
from tests.conftest import Org
from tests.factories import add_step, make_policy, make_user

K = ApprovalStep.Kind


@pytest.fixture
def referent(org: Org) -> Any:
    """A chain whose second step (the electoral referent) applies to political posts only."""
    user = make_user(username="referent", first_name="Rémi", last_name="Référent")
    membership_create(user=user, unit=org.ministry, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.service)
    add_step(policy, "Chef de service", K.ROLE_IN_UNIT, role="reviewer", unit=org.service)
    add_step(
        policy,
        "Référent électoral",
        K.ROLE_IN_UNIT,
        role="reviewer",
        unit=org.ministry,
        tiers=[PostTier.POLITICAL],
    )
    return user


def _election(org: Org, *, days_ahead: int) -> ElectionWindow:
    vote = (timezone.now() + timedelta(days=days_ahead)).date()
    return ElectionWindow.objects.create(
        name="Municipales", kind="municipal", unit=org.ministry, first_round=vote
    )


def _post(org: Org) -> Post:
    return services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text="Inauguration de la médiathèque samedi.",
        requested_publish_at=timezone.now() + timedelta(days=1),
    )


def test_submit_inside_an_election_window_raises_the_tier_to_political(
    org: Org, referent: Any
) -> None:
    _election(org, days_ahead=30)
    post = _post(org)
    hash_before = post.current_revision.content_hash  # type: ignore[union-attr]

    services.post_submit(post=post, by=org.officer)

    post.refresh_from_db()
    assert post.tier == PostTier.POLITICAL
    assert post.current_revision is not None
    assert post.current_revision.tier == PostTier.POLITICAL
    assert post.current_revision.content_hash != hash_before
    event = post.events.get(verb="tier_raised")
    assert (event.data["from_tier"], event.data["to_tier"]) == ("standard", "political")
    assert event.data["rules"] == ["neutrality.election_window"]
    names = [s.step.name for s in policies.chain_status(post)]
    assert names == ["Chef de service", "Référent électoral"]


def test_raised_post_needs_the_electoral_referent_to_be_approved(org: Org, referent: Any) -> None:
    _election(org, days_ahead=30)
    post = _post(org)
    services.post_submit(post=post, by=org.officer)

    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW  # the referent's step is still open

    services.post_approve(post=post, by=referent)
    post.refresh_from_db()
    assert post.state == PostState.APPROVED


def test_outside_any_election_window_the_tier_stays(org: Org, referent: Any) -> None:
    _election(org, days_ahead=400)
    post = _post(org)

    services.post_submit(post=post, by=org.officer)

    post.refresh_from_db()
    assert post.tier == PostTier.STANDARD
    assert not post.events.filter(verb="tier_raised").exists()
    assert [s.step.name for s in policies.chain_status(post)] == ["Chef de service"]


def test_an_edit_that_moves_the_post_into_a_window_raises_the_tier(org: Org, referent: Any) -> None:
    _election(org, days_ahead=30)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Concert gratuit.")
    post.requested_publish_at = timezone.now() + timedelta(days=300)
    post.save()
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    assert post.tier == PostTier.STANDARD

    services.post_update(
        post=post,
        by=org.officer,
        base_revision=1,
        text="Concert gratuit samedi.",
        language="fr",
        requested_publish_at=timezone.now() + timedelta(days=2),
    )

    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW
    assert post.tier == PostTier.POLITICAL

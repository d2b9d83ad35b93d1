"""The approval chain in the pages: queue, post page, edits after submission, admin."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from editorial.models import ApprovalStep, Post, PostState
from tests.conftest import Org
from tests.factories import add_step, make_delegation, make_policy, make_user

K = ApprovalStep.Kind
S = PostState


def _client(user: Any) -> Client:
    # These tests read the English wording; French is covered by tests/test_i18n.py.
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def director(org: Org) -> User:
    director = make_user(username="director", first_name="Hélène", last_name="Moreau")
    membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.ministry)
    add_step(policy, "Chef de service", K.HIERARCHY, levels_up=0)
    add_step(policy, "Direction", K.HIERARCHY, levels_up=1)
    return director


def _submitted(org: Org) -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Ouverture lundi.")
    services.post_submit(post=post, by=org.officer)
    return post


def _queue(user: User) -> str:
    return _client(user).get(reverse("editorial:queue")).content.decode()


def test_views_queue_shows_the_open_step_to_its_approvers_only(org: Org, director: User) -> None:
    post = _submitted(org)
    link = f"/posts/{post.pk}/"
    assert link in _queue(org.manager) and "Step 1: Chef de service" in _queue(org.manager)
    assert link not in _queue(director)
    services.post_approve(post=post, by=org.manager)
    assert link not in _queue(org.manager)
    assert "Step 2: Direction" in _queue(director)


@time_machine.travel(date(2026, 3, 10))
def test_views_deputy_sees_the_queue_and_approves_as_deputy(org: Org) -> None:
    deputy = make_user(username="deputy")
    make_delegation(org.manager, deputy, date(2026, 3, 1), date(2026, 3, 31))
    post = _submitted(org)
    assert "as deputy of Marc Leroy" in _queue(deputy)
    client = _client(deputy)
    page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert 'id="approve"' in page and "as deputy of Marc Leroy" in page
    client.post(reverse("editorial:approve", args=[post.pk]), {"revision": "1"})
    post.refresh_from_db()
    assert post.state == S.APPROVED
    page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert "as deputy of Marc Leroy" in page


def test_views_post_page_lists_the_chain_and_earlier_approvals(org: Org, director: User) -> None:
    post = _submitted(org)
    services.post_approve(post=post, by=org.manager)
    services.post_update(
        post=post, by=org.officer, base_revision=1, text="Ouverture mardi.", language="fr"
    )
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk])).content.decode()
    chain = page.split('id="approval-chain"')[1].split('id="earlier-approvals"')
    assert "Chef de service" in chain[0] and "Direction" in chain[0]
    assert "Marc Leroy, revision 1" in chain[1]


def test_views_approve_refuses_a_revision_the_reviewer_did_not_see(org: Org) -> None:
    post = _submitted(org)
    services.post_update(post=post, by=org.officer, base_revision=1, text="Autre.", language="fr")
    response = _client(org.manager).post(
        reverse("editorial:approve", args=[post.pk]), {"revision": "1"}, follow=True
    )
    assert "read it before approving" in response.content.decode()
    assert not post.approvals.exists()


def test_views_edit_of_an_approved_post_goes_back_to_review(org: Org) -> None:
    post = _submitted(org)
    services.post_approve(post=post, by=org.manager)
    client = _client(org.officer)
    form = client.get(reverse("editorial:edit", args=[post.pk])).content.decode()
    assert 'id="edit-resets-review"' in form
    response = client.post(
        reverse("editorial:edit", args=[post.pk]),
        {
            "accounts": [org.mastodon.pk],
            "text": "Ouverture mardi.",
            "language": "fr",
            "tier": "standard",
            "base_revision": 1,
            "save": "1",
        },
        follow=True,
    )
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW
    assert "earlier approvals no longer count" in response.content.decode()


def test_views_edit_blocked_by_the_charter_says_back_to_draft(org: Org) -> None:
    post = _submitted(org)
    response = _client(org.officer).post(
        reverse("editorial:edit", args=[post.pk]),
        {
            "accounts": [org.mastodon.pk],
            "text": "a" * 520,
            "language": "fr",
            "base_revision": 1,
            "save": "1",
        },
        follow=True,
    )
    post.refresh_from_db()
    assert post.state == S.DRAFT
    assert "the post is back to draft" in response.content.decode()


def test_views_request_changes_comment_is_shown_to_the_author(org: Org) -> None:
    post = _submitted(org)
    services.post_request_changes(post=post, by=org.manager, comment="Citez la source.")
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert 'id="changes-requested"' in page and "Citez la source." in page


def test_views_admin_manages_policies_and_delegations(org: Org, director: User) -> None:
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    client = _client(admin)
    for name in [
        "admin:editorial_approvalpolicy_changelist",
        "admin:editorial_approvalpolicy_add",
        "admin:accounts_delegation_changelist",
    ]:
        assert client.get(reverse(name)).status_code == 200
    # Delegations are given by members on their own page (audited), not in the admin.
    assert client.get(reverse("admin:accounts_delegation_add")).status_code == 403
    response = client.post(
        reverse("admin:editorial_approvalpolicy_add"),
        {
            "name": "Compte sensible",
            "account": org.bluesky.pk,
            "reschedule_rule": "keep",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-order": "1",
            "steps-0-name": "Cabinet",
            "steps-0-kind": "hierarchy",
            "steps-0-levels_up": "1",
            "steps-0-mode": "any",
            "steps-0-tiers": ["political"],
        },
    )
    assert response.status_code == 302
    step = ApprovalStep.objects.get(name="Cabinet")
    assert step.tiers == ["political"] and step.policy.account == org.bluesky

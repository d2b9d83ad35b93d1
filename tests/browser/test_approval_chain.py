"""Two approval steps, then an edit by the author that sends the post back to review."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services
from editorial.models import ApprovalStep, PostState
from tests.browser.test_compose_approve import _login, _logout
from tests.conftest import Org
from tests.factories import add_step, make_policy, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_browser_chain_then_edit_resets_approvals(page: Any, live_server: Any, org: Org) -> None:
    director = make_user(username="director")
    membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.ministry)
    add_step(policy, "Chef de service", ApprovalStep.Kind.HIERARCHY, levels_up=0)
    add_step(policy, "Direction", ApprovalStep.Kind.HIERARCHY, levels_up=1)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Ouverture lundi.")
    services.post_submit(post=post, by=org.officer)

    _login(page, live_server, "manager")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    page.click("#approve")
    page.wait_for_selector("#approval-chain li[data-step='1'].done")
    assert page.get_attribute("#post-state", "data-state") == "in_review"
    _logout(page)

    _login(page, live_server, "director")
    page.click("text=Review queue")
    page.wait_for_selector(f"tr[data-post='{post.pk}'] td.step:has-text('Direction')")
    page.click(f"a[href='/posts/{post.pk}/']")
    page.click("#approve")
    page.wait_for_selector("#post-state[data-state='approved']")
    _logout(page)

    _login(page, live_server, "officer")
    page.goto(f"{live_server.url}/posts/{post.pk}/edit/")
    page.wait_for_selector("#edit-resets-review")
    page.fill("#id_text", "Ouverture mardi.")
    page.click("#save-and-resubmit")
    page.wait_for_selector("#post-state[data-state='in_review']")
    assert page.locator("#earlier-approvals li").count() == 2
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW

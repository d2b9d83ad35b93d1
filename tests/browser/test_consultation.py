"""A two-step approval with a blocking consultation of another unit, driven in Chromium."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership
from accounts.services import membership_create
from editorial.models import ApprovalStep, Consultation, Post, PostState
from tests.browser.test_compose_approve import _login, _logout
from tests.conftest import Org
from tests.editorial.consultation_setup import make_legal
from tests.factories import add_step, make_policy, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_browser_two_step_approval_waits_for_the_consultation(
    page: Any, live_server: Any, org: Org
) -> None:
    legal = make_legal(org)
    director = make_user(username="director")
    membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.ministry)
    add_step(policy, "Chef de service", ApprovalStep.Kind.HIERARCHY, levels_up=0)
    add_step(policy, "Direction", ApprovalStep.Kind.HIERARCHY, levels_up=1)

    # The author writes, submits and consults the legal unit, blocking.
    _login(page, live_server, "officer")
    page.click("text=New post")
    page.check(f"input[name=accounts][value='{org.mastodon.pk}']")
    page.fill("#id_text", "Le délai de recours contre l'arrêté est de deux mois.")
    page.click("button[name=submit]")
    page.wait_for_selector("#post-state[data-state='in_review']")
    post = Post.objects.get()
    # The form is folded until asked for.
    assert not page.is_visible("#id_units")
    page.click("#ask-consultation-fold summary")
    page.select_option("#id_units", str(legal.unit.pk))
    deadline = timezone.localtime() + timedelta(days=2)
    page.fill("#id_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    assert page.is_checked("#id_blocking")
    page.fill("#id_question", "Le délai de recours est-il exact ?")
    page.click("#ask-consultation-submit")
    page.wait_for_selector("#consultations li[data-unit='daj'][data-status='waiting']")
    _logout(page)

    # Step 1: the service's reviewer.
    _login(page, live_server, "manager")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    page.click("#approve")
    page.wait_for_selector("#approval-chain li[data-step='1'].done")
    _logout(page)

    # Step 2: the director completes the chain, but the consultation holds the post.
    _login(page, live_server, "director")
    page.click("text=Review queue")
    page.click(f"tr[data-post='{post.pk}'] a")
    page.click("#approve")
    page.wait_for_selector("#approval-chain li[data-step='2'].done")
    page.wait_for_selector("text=waits for the consultation of")
    assert page.get_attribute("#post-state", "data-state") == "in_review"
    _logout(page)

    # A member of the consulted unit finds it in their queue and agrees: approved.
    _login(page, live_server, "jurist")
    page.click("text=Review queue")
    page.click(f"#consultation-queue tr[data-post='{post.pk}'] a")
    assert page.locator("#approve").count() == 0
    consultation = Consultation.objects.get()
    page.check(f"#consultation-{consultation.pk} input[name=answer][value=agree]")
    page.click(f"#answer-{consultation.pk}")
    page.wait_for_selector("#post-state[data-state='approved']")
    page.wait_for_selector("#consultations li[data-unit='daj'][data-status='agreed']")
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    last = post.events.last()
    assert last is not None and last.verb == "consultations_cleared"

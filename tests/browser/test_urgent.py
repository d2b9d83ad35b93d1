"""The urgent procedure end to end: a refused short justification is kept, the post goes out,
and the skipped reviewer objects from their queue."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services
from editorial.models import PostHocReview, PostState
from tests.browser.test_compose_approve import _login, _logout
from tests.conftest import Org
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

WHY = "Alerte météo rouge: la préfecture demande la diffusion immédiate du message."


def test_browser_urgent_publish_then_posthoc_objection(
    page: Any, live_server: Any, org: Org
) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Routes fermées.")
    services.post_submit(post=post, by=org.officer)

    _login(page, live_server, "chief")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    page.fill("#urgent-form #id_justification", "Préfecture.")
    page.click("#publish-urgently")
    page.wait_for_selector(".justification-error")
    assert page.input_value("#id_justification") == "Préfecture."
    page.fill("#id_justification", WHY)
    page.click("#publish-urgently")
    page.wait_for_selector("#post-state[data-state='scheduled']")
    assert page.locator("#urgent-procedure .justification").inner_text().endswith(WHY)
    _logout(page)

    _login(page, live_server, "manager")
    page.click("text=Review queue")
    page.click(f"#posthoc-queue tr[data-post='{post.pk}'] a")
    page.check("input[name=outcome][value=objected]")
    page.fill("#id_comment", "Le message aurait dû citer la préfecture.")
    page.click("#posthoc-submit")
    page.wait_for_selector("#urgent-procedure .posthoc-status:has-text('Objected')")
    review = PostHocReview.objects.get(post=post)
    assert review.outcome == PostHocReview.Outcome.OBJECTED
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED

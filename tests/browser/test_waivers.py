"""A waiver end to end: an administrator waives a blocking finding from the post page, and the
author can then submit the draft the charter refused."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services
from editorial.models import PostState, Waiver
from tests.browser.test_compose_approve import _login, _logout
from tests.conftest import Org
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "Écrivez-nous à contact@mairie-exemple.fr pour toute question sur le dossier."
WHY = "Adresse de contact officielle du service, publiée sur notre site."


def test_browser_waiver_lets_the_author_submit(page: Any, live_server: Any, org: Org) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=TEXT)

    _login(page, live_server, "chief")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    option = page.locator(".waiver-option[data-rule='pii.email']")
    assert option.locator("select option").all_inner_texts() == [
        "The institution's own contact details"
    ]
    option.locator("textarea").fill(WHY)
    option.locator("button").click()
    page.wait_for_selector("#waivers li.waiver[data-rule='pii.email']")
    assert Waiver.objects.get(post=post).granted_by == chief
    _logout(page)

    _login(page, live_server, "officer")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("#post-state[data-state='in_review']")
    assert page.locator(".finding.waived[data-rule='pii.email']").count() == 1
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW

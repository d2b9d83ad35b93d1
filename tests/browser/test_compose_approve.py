"""Log in, compose, submit, approve as another user — in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from editorial.models import Post, PostState
from tests.browser import second_factor
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"


def _login(page: Any, live_server: Any, username: str) -> None:
    second_factor.prepare(username)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor.pass_second_factor(page, live_server.url, username)
    page.wait_for_url(f"{live_server.url}/")


def _logout(page: Any) -> None:
    page.click("header form button")
    page.wait_for_url("**/login/")


def test_browser_compose_submit_and_approve(page: Any, live_server: Any, org: Org) -> None:
    _login(page, live_server, "officer")
    page.click("text=New post")
    page.check(f"input[name=accounts][value='{org.mastodon.pk}']")
    page.check(f"input[name=accounts][value='{org.bluesky.pk}']")
    page.fill("#id_text", "Les inscriptions ouvrent lundi https://www.service-public.fr")
    # The live counter counts the URL as 23 on Mastodon and includes the byline.
    counter = page.locator(f".counter[data-account='{org.mastodon.pk}'] strong")
    expected = len("Les inscriptions ouvrent lundi ") + 23 + len("\n\n— SICOM ^JD")
    counter.filter(has_text=str(expected)).wait_for()
    page.click("button[name=submit]")
    page.wait_for_selector("#post-state[data-state='in_review']")
    post = Post.objects.get()
    assert post.state == PostState.IN_REVIEW
    assert page.locator("#approve").count() == 0  # the author is never offered approval

    _logout(page)
    _login(page, live_server, "manager")
    page.click("text=Review queue")
    page.click(f"a[href='/posts/{post.pk}/']")
    page.click("#approve")
    page.wait_for_selector("#post-state[data-state='approved']")
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    assert post.approvals.get().approver == org.manager

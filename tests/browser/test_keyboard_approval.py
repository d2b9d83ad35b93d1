"""A manager signs in and approves a submitted post with the keyboard only: Tab to move, typing
in the fields, Enter or Space to act. No click, in French and in English."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from editorial import services
from editorial.models import Post, PostState
from tests.browser import second_factor
from tests.browser.a11y import assert_accessible
from tests.browser.test_compose_approve import PASSWORD
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)
# Enough presses to cross the header, the menu and a page's content; more means the element
# cannot be reached by the keyboard (the test then fails, it does not loop forever).
MAX_TABS = 80
QUEUE = {"fr": "File de validation", "en": "Review queue"}


@contextmanager
def browser_page(browser: Any, locale: str) -> Iterator[Any]:
    """A page in this language; like the ``page`` fixture, fails on any CSP refusal."""
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert refused == [], refused


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the focus is on the element ``selector`` names (and visibly so)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            # The focused element is drawn with the DSFR's focus ring: a keyboard user sees it.
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", selector
            return
    pytest.fail(f"{selector} is not reachable with the Tab key")


def keyboard_login(page: Any, base_url: str, username: str) -> None:
    second_factor.prepare(username)
    page.goto(f"{base_url}/login/")
    tab_to(page, "#id_username")
    page.keyboard.type(username)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/second-factor/verify/**")
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    code = second_factor.totp_code(device)
    assert code is not None
    # The code field has the focus when the page opens (autofocus): type straight away.
    assert page.evaluate("() => document.activeElement.id") == "id_code"
    page.keyboard.type(code)
    tab_to(page, "#verify")
    page.keyboard.press("Space")
    page.wait_for_url(f"{base_url}/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_keyboard_only_manager_approves_a_submitted_post(
    browser: Any, live_server: Any, org: Org, language: str
) -> None:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Les guichets ouvrent lundi à 9 h."
    )
    services.post_submit(post=post, by=org.officer)
    with browser_page(browser, language) as page:
        keyboard_login(page, live_server.url, "manager")
        # The skip link comes first and leads to the menu.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#content"
        tab_to(page, "#navigation a[href='/review/']")
        assert page.evaluate("() => document.activeElement.textContent.trim()") == QUEUE[language]
        page.keyboard.press("Enter")
        page.wait_for_url("**/review/")
        assert_accessible(page)
        tab_to(page, f"main a[href='/posts/{post.pk}/']")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/posts/{post.pk}/")
        tab_to(page, "#approve")
        page.keyboard.press("Enter")
        page.wait_for_selector("#post-state[data-state='approved']")
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    assert post.approvals.get().approver == org.manager
    assert Post.objects.count() == 1

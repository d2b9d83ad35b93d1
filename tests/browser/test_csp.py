"""Under the Content-Security-Policy, what used to be inline still works in Chromium (the page
fixture fails the test on any CSP violation it reports)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_compose_approve import _login
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)


def test_browser_language_menu_switches_language_under_the_csp(
    page: Any, live_server: Any, org: Org
) -> None:
    _login(page, live_server, "officer")
    response = page.goto(f"{live_server.url}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "no-store" in response.headers["cache-control"]
    page.select_option("select[name=language]", "fr")
    page.wait_for_function("document.documentElement.lang === 'fr'")
    assert page.get_attribute("html", "lang") == "fr"

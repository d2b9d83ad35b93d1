"""The header's Marianne block stays whole: with the long French tagline and a signed-in
person's links, the DSFR header used to shrink it until "République française" was cut."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_compose_approve import _login
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("width", [1024, 1280])
def test_browser_header_logo_is_never_cut(
    page: Any, live_server: Any, org: Org, language: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 700})
    _login(page, live_server, "manager")
    page.select_option("select[name=language]", language)
    page.wait_for_function(f"document.documentElement.lang === '{language}'")
    clipped = page.evaluate(
        """() => {
            const top = document.querySelector('.fr-header__brand-top');
            return [top.scrollWidth, top.clientWidth];
        }"""
    )
    assert clipped[0] <= clipped[1], clipped

"""Attaching an image shows the missing text alternative at once, before any keystroke."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_compose_approve import _login
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)

# The smallest valid PNG: one transparent pixel.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000105fe02fea70000000049454e44ae426082"
)


def test_browser_missing_alt_shown_when_the_image_is_attached(
    page: Any, live_server: Any, org: Org
) -> None:
    _login(page, live_server, "officer")
    page.click("text=New post")
    page.check(f"input[name=accounts][value='{org.mastodon.pk}']")
    page.fill("#id_text", "Inauguration du centre.")
    page.locator(f".counter[data-account='{org.mastodon.pk}']").wait_for()
    assert page.locator(".finding[data-rule='media.alt_text']").count() == 0

    page.set_input_files(
        "input[name=image]", files=[{"name": "ruban.png", "mimeType": "image/png", "buffer": PIXEL}]
    )

    finding = page.locator(".finding[data-rule='media.alt_text']")
    finding.wait_for()
    assert "“ruban.png”" in finding.inner_text()

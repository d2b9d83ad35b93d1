"""The compose page's per-network versions, in headless Chromium: the Bluesky counter follows
the shorter version as it is typed, and the post page shows it after saving."""

from __future__ import annotations

from typing import Any

import pytest

from editorial.models import Post
from tests.browser.test_compose_approve import _login
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)


def test_browser_bluesky_version_drives_its_counter_and_is_saved(
    page: Any, live_server: Any, org: Org
) -> None:
    _login(page, live_server, "officer")
    page.click("text=New post")
    page.check(f"input[name=accounts][value='{org.bluesky.pk}']")
    page.fill("#id_text", "x" * 320)
    counter = page.locator(f".counter[data-account='{org.bluesky.pk}']")
    counter.and_(page.locator(".over")).wait_for()

    page.click("#network-options summary")
    page.fill("#id_variant_bluesky", "Version courte.")

    expected = len("Version courte.") + len("\n\n— SICOM ^JD")
    counter.locator("strong").filter(has_text=str(expected)).wait_for()
    assert "over" not in (counter.get_attribute("class") or "")
    page.click("button[name=save]")
    page.wait_for_selector("blockquote[data-network='bluesky']")
    revision = Post.objects.get().current_revision
    assert revision is not None and revision.variants == {"bluesky": "Version courte."}

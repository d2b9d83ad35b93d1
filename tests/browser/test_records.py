"""The records page in Chromium, in French and in English: an administrator of the unit picks
the account and the days and downloads the bundle; the page passes axe-core and fits a phone."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership
from accounts.services import membership_create
from publishing.models import Publication
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.browser.test_compose_approve import _login
from tests.conftest import Org
from tests.factories import make_user
from tests.publishing.test_records import publish

pytestmark = pytest.mark.django_db(transaction=True)

# (language, the page's heading, the download button)
LANGUAGES = [
    ("fr", "Archives", "Télécharger le dossier (.zip)"),
    ("en", "Records for the archives", "Download the bundle (.zip)"),
]


@pytest.mark.parametrize(("language", "heading", "button"), LANGUAGES, ids=["fr", "en"])
def test_browser_records_page_downloads_the_bundle(
    page: Any, live_server: Any, org: Org, language: str, heading: str, button: str
) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    post = publish(org, "Les guichets ouvrent le 3 mars.")
    published = Publication.objects.get(post=post).published_at
    assert published is not None
    day = timezone.localdate(published).isoformat()

    _login(page, live_server, "chief")
    page.goto(f"{live_server.url}/records/")
    if language == "fr":  # the language menu, as a person would
        with page.expect_navigation():
            page.select_option("header select[name=language]", "fr")
    assert page.locator("h1").inner_text() == heading
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page)

    page.select_option("#id_account", str(org.mastodon.pk))
    page.fill("#id_start", day)
    page.fill("#id_end", day)
    with page.expect_download() as info:
        page.click(f"button:has-text('{button}')")
    download = info.value
    assert download.suggested_filename.startswith(f"records-mastodon-{org.mastodon.handle}-")
    bundle = zipfile.ZipFile(download.path())
    assert [p["id"] for p in json.loads(bundle.read("posts.json"))["posts"]] == [post.pk]
    assert_no_sideways_scroll(page)

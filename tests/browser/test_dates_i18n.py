"""Dates, times and alt texts survive an edit and a schedule in Chromium, in French and English.

In French the date pickers used to receive ``10/12/2030 08:00:00``, which Chromium rejects:
the field showed empty and was saved empty (an embargo erased by a one-word edit; "Programmer"
publishing at once). The browser's locale and the page's language are both set per case, and
the page is checked to really speak that language. The times are years away, so nothing here
depends on how fast the machine is.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from editorial import services
from editorial.models import Post, PostState, Revision
from tests.browser import second_factor
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
REQUESTED = datetime(2030, 12, 10, 7, 0, tzinfo=UTC)  # 08:00 in Paris
EMBARGO = datetime(2030, 12, 9, 17, 0, tzinfo=UTC)  # 18:00 in Paris
TEXT = "Les guichets ouvrent lundi, à 9 heures."
# (browser locale, the language the pages must speak, a word of the edit page in it)
LOCALES = [("fr-FR", "fr", "Modifier le message"), ("en-GB", "en", "Edit post")]


@pytest.fixture(params=LOCALES, ids=[lang for _, lang, _ in LOCALES])
def localised(request: Any, browser: Any) -> Iterator[tuple[Any, str, str]]:
    locale, language, edit_title = request.param
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page, language, edit_title
    context.close()


def _login(page: Any, live_server: Any, username: str, language: str) -> None:
    second_factor.prepare(username)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor.pass_second_factor(page, live_server.url, username)
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_attribute("html", "lang") == language


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def _post(org: Org, **kwargs: Any) -> Post:
    return services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text=TEXT,
        requested_publish_at=REQUESTED,
        **kwargs,
    )


def _revision(post: Post) -> Revision:
    post.refresh_from_db()
    assert post.current_revision is not None
    return post.current_revision


def test_browser_one_word_edit_keeps_embargo_and_requested_time(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, edit_title = localised
    post = _post(org, embargo_until=EMBARGO)
    _login(page, live_server, "officer", language)
    page.goto(f"{live_server.url}/posts/{post.pk}/edit/")
    assert edit_title in page.inner_text("h1")
    # What Chromium holds: a value it rejected would read "" here.
    assert page.input_value("#id_requested_publish_at") == "2030-12-10T08:00"
    assert page.input_value("#id_embargo_until") == "2030-12-09T18:00"
    assert "Europe/Paris" in page.inner_text("form.compose")
    page.fill("#id_text", TEXT.replace("lundi", "mardi"))
    page.click("button[name=save]")
    page.wait_for_url(f"{live_server.url}/posts/{post.pk}/")
    revision = _revision(post)
    assert revision.number == 2 and "mardi" in revision.text
    assert (post.requested_publish_at, revision.embargo_until) == (REQUESTED, EMBARGO)


def test_browser_schedule_without_touching_the_time_keeps_the_requested_time(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, _title = localised
    post = _post(org)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    _login(page, live_server, "manager", language)
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    page.wait_for_selector("#post-state[data-state='approved']")
    assert page.input_value("#id_at") == "2030-12-10T08:00"
    page.click("#schedule")
    page.wait_for_selector("#post-state[data-state='scheduled']")
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (PostState.SCHEDULED, REQUESTED)


def test_browser_approve_and_schedule_keeps_the_requested_time(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, _title = localised
    post = _post(org)
    services.post_submit(post=post, by=org.officer)
    _login(page, live_server, "manager", language)
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    page.click("#approve-and-schedule")
    page.wait_for_selector("#post-state[data-state='scheduled']")
    post.refresh_from_db()
    assert post.scheduled_at == REQUESTED


def test_browser_alt_text_edited_without_a_new_upload_is_kept(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, _title = localised
    image = services.MediaInput(filename="carte.png", data=_png(), alt_text="Une carte.")
    post = _post(org, media=[image])
    media = _revision(post).media.get()
    _login(page, live_server, "officer", language)
    page.goto(f"{live_server.url}/posts/{post.pk}/edit/")
    field = f"#id_media_alt_{media.pk}"
    assert page.input_value(field) == "Une carte."
    assert page.locator("#current-media img").count() == 1
    page.fill(field, "Carte des 12 nouveaux guichets du département.")
    page.click("button[name=save]")
    page.wait_for_url(f"{live_server.url}/posts/{post.pk}/")
    kept = _revision(post).media.get()
    assert (kept.sha256, kept.alt_text) == (
        media.sha256,
        "Carte des 12 nouveaux guichets du département.",
    )

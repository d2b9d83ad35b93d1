"""The compose page in Chromium, in French and in English: the Mastodon and Bluesky previews
follow the typing, a thread gets a counter per part and its findings marked in the part they
are in, the edit page shows the images with their alt texts, and a reload loses nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from charter.counting import bluesky_graphemes
from editorial import services
from editorial.models import Post, Revision
from tests.browser import second_factor
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
BYLINE = "— SICOM ^JD"
# (browser locale, the page's language, the title of the preview column in it)
LOCALES = [("fr-FR", "fr", "Aperçu"), ("en-GB", "en", "Preview")]


@pytest.fixture(params=LOCALES, ids=[lang for _, lang, _ in LOCALES])
def localised(request: Any, browser: Any) -> Iterator[tuple[Any, str, str]]:
    locale, language, preview_title = request.param
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page, language, preview_title
    context.close()
    assert refused == [], refused


def _login(page: Any, live_server: Any, language: str) -> None:
    second_factor.prepare("officer")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor.pass_second_factor(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_attribute("html", "lang") == language


def _compose(page: Any, live_server: Any, org: Org) -> None:
    page.goto(f"{live_server.url}/posts/new/")
    page.check(f"input[name=accounts][value='{org.mastodon.pk}']")
    page.check(f"input[name=accounts][value='{org.bluesky.pk}']")


def _preview(page: Any, account: int) -> Any:
    return page.locator(f"#previews .pv-account[data-account='{account}']")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_browser_previews_follow_the_typing(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, title = localised
    _login(page, live_server, language)
    _compose(page, live_server, org)
    page.fill("#id_text", "Les inscriptions ouvrent lundi https://www.service-public.fr")
    sent = "Les inscriptions ouvrent lundi https://www.service-public.fr\n\n" + BYLINE
    for account in (org.mastodon, org.bluesky):
        preview = _preview(page, account.pk)
        preview.locator(".pv-text").filter(has_text="lundi").wait_for()
        assert preview.locator(".pv-text").inner_text() == sent
        assert preview.locator(".pv-byline").inner_text() == BYLINE
        assert preview.locator(".pv-card__host").inner_text() == "service-public.fr"
    mastodon_used = len("Les inscriptions ouvrent lundi ") + 23 + len("\n\n" + BYLINE)
    count = _preview(page, org.mastodon.pk).locator(".pv-count strong")
    assert count.inner_text() == str(mastodon_used)
    bluesky_count = _preview(page, org.bluesky.pk).locator(".pv-count strong")
    assert bluesky_count.inner_text() == str(bluesky_graphemes(sent))
    assert page.locator("#previews-title").inner_text() == title
    # Typing more: both previews and their counters follow.
    page.fill("#id_text", "Les inscriptions ouvrent mardi.")
    _preview(page, org.bluesky.pk).locator(".pv-text").filter(has_text="mardi").wait_for()
    assert _preview(page, org.mastodon.pk).locator(".pv-card").count() == 0
    assert count.inner_text() == str(len("Les inscriptions ouvrent mardi.\n\n" + BYLINE))
    # The content warning folds the Mastodon post, as Mastodon shows it.
    page.click("#network-options summary")
    page.fill("#id_spoiler_text", "Élections")
    warning = _preview(page, org.mastodon.pk).locator("details.pv-cw")
    warning.wait_for()
    assert not warning.get_attribute("open") and warning.locator(".pv-text").is_hidden()
    assert _preview(page, org.bluesky.pk).locator("details.pv-cw").count() == 0
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def test_browser_thread_counts_each_part_and_marks_a_finding_in_part_two(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, _title = localised
    _login(page, live_server, language)
    _compose(page, live_server, org)
    page.fill("#id_text", "Les inscriptions ouvrent lundi.")
    page.fill("#id_thread", "Pour toute question, écrivez à jean.dupont@gmail.com.")
    bluesky = _preview(page, org.bluesky.pk)
    second = bluesky.locator(".pv-status[data-part='2']")
    second.locator("mark.block").wait_for()
    assert second.locator("mark.block").inner_text() == "jean.dupont@gmail.com"
    assert bluesky.locator(".pv-status[data-part='1'] mark").count() == 0
    assert _preview(page, org.mastodon.pk).locator(
        ".pv-status[data-part='2'] mark.block"
    ).inner_text() == ("jean.dupont@gmail.com")
    # Each part has its own counter, here and under the text; the byline is in the last part.
    first_sent = "Les inscriptions ouvrent lundi."
    last_sent = "Pour toute question, écrivez à jean.dupont@gmail.com.\n\n" + BYLINE
    expected = [str(bluesky_graphemes(first_sent)), str(bluesky_graphemes(last_sent))]
    assert bluesky.locator(".pv-count strong").all_inner_texts() == expected
    parts = page.locator(f"#live .part-counters[data-account='{org.bluesky.pk}'] strong")
    assert parts.all_inner_texts() == expected
    assert bluesky.locator(".pv-status[data-part='2'] .pv-byline").inner_text() == BYLINE
    assert bluesky.locator(".pv-status[data-part='1'] .pv-byline").count() == 0
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def test_browser_edit_shows_the_images_with_their_alt_and_saves_a_new_alt(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, _title = localised
    image = services.MediaInput(filename="carte.png", data=_png(), alt_text="Une carte.")
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Les guichets ouvrent.", media=[image]
    )
    _login(page, live_server, language)
    page.goto(f"{live_server.url}/posts/{post.pk}/edit/")
    media = Revision.objects.get(post=post, number=1).media.get()
    assert page.locator(f".current-image[data-media='{media.pk}'] img").get_attribute("alt") == (
        "Une carte."
    )
    preview = _preview(page, org.mastodon.pk)
    preview.locator(".pv-image img").wait_for()
    assert preview.locator(".pv-alt").inner_text() == "ALT"
    # Emptying the alt text shows the warning in the preview at once.
    field = f"#id_media_alt_{media.pk}"
    page.fill(field, "")
    preview.locator(".pv-alt--missing").wait_for()
    assert preview.locator(".pv-alt-warning").is_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.fill(field, "Carte des 12 nouveaux guichets du département.")
    page.click("button[name=save]")
    page.wait_for_url(f"{live_server.url}/posts/{post.pk}/")
    post.refresh_from_db()
    assert post.current_revision is not None and post.current_revision.number == 2
    kept = post.current_revision.media.get()
    assert (kept.sha256, kept.alt_text) == (
        media.sha256,
        "Carte des 12 nouveaux guichets du département.",
    )


def test_browser_autosave_survives_a_reload_and_goes_after_a_save(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, _title = localised
    _login(page, live_server, language)
    _compose(page, live_server, org)
    page.fill("#id_text", "Texte tapé puis la page rechargée.")
    page.fill("#id_thread", "Deuxième partie.")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('pv-draft:'))")
    page.reload()
    page.locator("#draft-restored").wait_for()
    assert page.input_value("#id_text") == "Texte tapé puis la page rechargée."
    assert page.input_value("#id_thread") == "Deuxième partie."
    assert page.is_checked(f"input[name=accounts][value='{org.bluesky.pk}']")
    # The previews show the restored text from the first live check.
    _preview(page, org.bluesky.pk).locator(".pv-text").filter(has_text="rechargée").wait_for()
    assert_accessible(page)
    page.click("button[name=save]")
    page.wait_for_url(f"{live_server.url}/posts/*/")
    post = Post.objects.get()
    assert post.current_revision is not None
    assert post.current_revision.text == "Texte tapé puis la page rechargée."
    # Saved: the browser's copy is gone, a new post starts empty.
    assert page.evaluate("() => Object.keys(localStorage).length") == 0
    page.goto(f"{live_server.url}/posts/new/")
    assert page.input_value("#id_text") == ""
    assert page.locator("#draft-restored").is_hidden()


def test_browser_autosave_discard_brings_back_the_empty_form(
    page: Any, live_server: Any, org: Org
) -> None:
    _login(page, live_server, "en")
    _compose(page, live_server, org)
    page.fill("#id_text", "Un brouillon à jeter.")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('pv-draft:'))")
    page.reload()
    page.locator("#draft-restored").wait_for()
    page.click("#draft-discard")
    page.wait_for_load_state()
    page.locator("#id_text").wait_for()
    assert page.input_value("#id_text") == ""
    assert page.locator("#draft-restored").is_hidden()
    assert page.evaluate("() => Object.keys(localStorage).length") == 0


def test_browser_autosave_copies_go_at_logout(page: Any, live_server: Any, org: Org) -> None:
    _login(page, live_server, "en")
    _compose(page, live_server, org)
    page.fill("#id_text", "Communiqué sous embargo.")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('pv-draft:'))")
    page.click("form[action$='/logout/'] button")
    page.wait_for_url("**/login/")
    # A shared computer keeps nothing of what was typed.
    assert page.evaluate("() => Object.keys(localStorage).length") == 0

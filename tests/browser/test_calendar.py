"""The publication calendar in Chromium, in French and in English: the month with its post,
a drag to another day that reschedules the post, the list the page is without JavaScript,
and at a phone's width the list view. The clock is moved to a fixed Monday (ticking, so the
second factor and the sessions behave): the month shown and "the past" depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from editorial import services
from editorial.models import Post, PostState
from tests.browser import second_factor
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THURSDAY = datetime(2026, 3, 5, 10, 0, tzinfo=PARIS)
TEXT = "La médiathèque ouvre jeudi."
# (browser locale, page language, the month's title, the state's word)
LOCALES = [("fr-FR", "fr", "mars 2026", "Programmé"), ("en-GB", "en", "March 2026", "Scheduled")]


@pytest.fixture(autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(MONDAY, tick=True):
        yield


def _context(browser: Any, locale: str, **options: Any) -> Iterator[Any]:
    """A page in ``locale`` that fails the test on any CSP report (as the ``page`` fixture)."""
    context = browser.new_context(locale=locale, **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert refused == [], refused


@pytest.fixture(params=LOCALES, ids=[lang for _, lang, _, _ in LOCALES])
def localised(request: Any, browser: Any) -> Iterator[tuple[Any, str, str, str]]:
    locale, language, month, word = request.param
    for page in _context(browser, locale):
        yield page, language, month, word


def _login(page: Any, live_server: Any, username: str) -> None:
    second_factor.prepare(username)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor.pass_second_factor(page, live_server.url, username)
    page.wait_for_url(f"{live_server.url}/")


def _scheduled(org: Org) -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=TEXT)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=THURSDAY)
    post.refresh_from_db()
    return post


def _drag(page: Any, event: Any, day: str) -> None:
    """Drag ``event`` onto the month's cell of ``day`` with the mouse, as a user does: the
    page scrolled first so that both stand in the window (the mouse only acts on what is
    shown; the DSFR header pushes the month's last weeks below a 720 px window)."""
    event.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = event.bounding_box()
    target = page.locator(f"td.fc-daygrid-day[data-date='{day}']").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 20, target["y"] + target["height"] / 2, steps=12)
    page.mouse.move(target["x"] + 25, target["y"] + target["height"] / 2 + 5, steps=3)
    page.mouse.up()


def test_browser_calendar_month_drag_reschedules(
    localised: tuple[Any, str, str, str], live_server: Any, org: Org
) -> None:
    page, language, month, word = localised
    post = _scheduled(org)
    _login(page, live_server, "manager")
    page.set_viewport_size({"width": 1280, "height": 1000})  # the drop day below the header
    page.goto(f"{live_server.url}/calendar/")
    assert page.get_attribute("html", "lang") == language
    page.wait_for_selector(".fc-dayGridMonth-view")
    assert page.inner_text(".fc-toolbar-title") == month
    event = page.locator(f".fc-event[data-post='{post.pk}']")
    event.wait_for()
    assert word in event.get_attribute("title")
    assert page.is_hidden("#calendar-list")  # the calendar took the list's place
    assert_accessible(page)
    _drag(page, event, "2026-03-10")
    page.wait_for_selector("#calendar-status .fr-alert--success")
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert post.scheduled_at == datetime(2026, 3, 10, 10, 0, tzinfo=PARIS)


def test_browser_calendar_refused_drop_goes_back_with_words(
    localised: tuple[Any, str, str, str], live_server: Any, org: Org
) -> None:
    page, _language, _month, _word = localised
    post = _scheduled(org)
    _login(page, live_server, "manager")
    page.set_viewport_size({"width": 1280, "height": 1000})  # the drop day below the header
    page.goto(f"{live_server.url}/calendar/")
    event = page.locator(f".fc-event[data-post='{post.pk}']")
    event.wait_for()
    _drag(page, event, "2026-02-27")
    alert = page.wait_for_selector("#calendar-status .fr-alert--error")
    assert alert.inner_text().strip() != ""
    # Put back on its Thursday, and nothing changed.
    page.locator(
        f"td.fc-daygrid-day[data-date='2026-03-05'] .fc-event[data-post='{post.pk}']"
    ).wait_for()
    post.refresh_from_db()
    assert post.scheduled_at == THURSDAY


def test_browser_calendar_phone_shows_the_list_view(
    localised: tuple[Any, str, str, str], live_server: Any, org: Org
) -> None:
    page, _language, _month, word = localised
    _scheduled(org)
    _login(page, live_server, "manager")
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/calendar/")
    page.wait_for_selector(".fc-list .fc-list-event")
    assert word in page.inner_text(".fc-list")
    assert_no_sideways_scroll(page)
    assert_accessible(page)


@pytest.mark.parametrize(("locale", "word"), [("fr-FR", "Programmé"), ("en-GB", "Scheduled")])
def test_browser_calendar_without_javascript_lists_the_same_posts(
    browser: Any, live_server: Any, org: Org, locale: str, word: str
) -> None:
    post = _scheduled(org)
    for page in _context(browser, locale, java_script_enabled=False):
        _login(page, live_server, "manager")
        page.goto(f"{live_server.url}/calendar/")
        row = page.locator(f"#calendar-table tr[data-post='{post.pk}']")
        assert TEXT in row.inner_text()
        assert word in row.inner_text()
        assert page.locator(".fc-event").count() == 0
        page.click("#calendar-next")
        assert page.locator("#calendar-empty").is_visible()
        page.click("#calendar-previous")
        assert page.locator(f"#calendar-table tr[data-post='{post.pk}']").is_visible()
        assert_no_sideways_scroll(page)

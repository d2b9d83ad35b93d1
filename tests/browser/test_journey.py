"""The whole journey across pages, in Chromium, in French and in English (issue #15).

An officer composes a post for both accounts and watches both previews follow the typing,
then submits; the manager approves it from the review queue and schedules it; on the
calendar the post is dragged to another day; it is published (the real services and outbox,
the fake network adapter of tests.publishing); a citizen without login opens the public
account page and the public post page and reads the expanded byline; a unit administrator
opens the configuration hub and the members screen. Every page is checked with axe-core,
and each main page again at a 360 px phone's width at the end. One browser context per
person (one session each), each failing the test on anything the Content-Security-Policy
refused. The clock is moved to a fixed Monday (ticking, so the second factor and sessions
behave), as in test_calendar.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial.models import Post, PostState
from publishing import services as publishing
from publishing import tasks
from publishing.services import network
from tests.browser import second_factor
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.conftest import Org
from tests.factories import make_user
from tests.publishing.conftest import FakeAdapter, RecordingTask

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXT = "Les inscriptions ouvrent lundi https://www.service-public.fr"
BYLINE = "— SICOM ^JD"
# (browser locale, page language, a word of the public index's title, the members page's title)
LOCALES = [
    ("fr-FR", "fr", "Qui publie ici\u00a0?", "Membres de"),
    ("en-GB", "en", "Who publishes here?", "Members of"),
]


@pytest.fixture(autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(MONDAY, tick=True):
        yield


@dataclass
class Browsers:
    """One browser context per person, all in the case's locale; each page visited is kept
    with its path, for the phone-width pass at the end."""

    browser: Any
    locale: str
    language: str
    contexts: list[Any] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    visited: list[tuple[Any, str]] = field(default_factory=list)

    def new_page(self) -> Any:
        context = self.browser.new_context(locale=self.locale)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on(
            "console",
            lambda message: (
                self.refused.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    def checked(self, page: Any, path: str) -> None:
        """The page is in the case's language and accessible; kept for the phone pass."""
        assert page.get_attribute("html", "lang") == self.language
        assert_accessible(page)
        self.visited.append((page, path))


@pytest.fixture(params=LOCALES, ids=[case[1] for case in LOCALES])
def localised(request: Any, browser: Any) -> Iterator[tuple[Browsers, tuple[str, ...]]]:
    browsers = Browsers(browser, request.param[0], request.param[1])
    yield browsers, request.param
    for context in browsers.contexts:
        context.close()
    assert browsers.refused == [], browsers.refused


def _login(page: Any, live_server: Any, username: str) -> None:
    second_factor.prepare(username)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor.pass_second_factor(page, live_server.url, username)
    page.wait_for_url(f"{live_server.url}/")


def _compose_and_submit(browsers: Browsers, live_server: Any, org: Org) -> Post:
    page = browsers.new_page()
    _login(page, live_server, "officer")
    page.goto(f"{live_server.url}/posts/new/")
    page.check(f"input[name=accounts][value='{org.mastodon.pk}']")
    page.check(f"input[name=accounts][value='{org.bluesky.pk}']")
    page.fill("#id_text", TEXT)
    for account in (org.mastodon, org.bluesky):
        preview = page.locator(f"#previews .pv-account[data-account='{account.pk}']")
        preview.locator(".pv-text").filter(has_text="lundi").wait_for()
        assert preview.locator(".pv-text").inner_text() == f"{TEXT}\n\n{BYLINE}"
        assert preview.locator(".pv-byline").inner_text() == BYLINE
        assert preview.locator(".pv-card__host").inner_text() == "service-public.fr"
    browsers.checked(page, "/posts/new/")
    page.click("button[name=submit]")
    page.wait_for_selector("#post-state[data-state='in_review']")
    post: Post = Post.objects.get()
    browsers.checked(page, f"/posts/{post.pk}/")
    return post


def _approve_and_schedule(browsers: Browsers, live_server: Any, post: Post) -> Any:
    page = browsers.new_page()
    _login(page, live_server, "manager")
    page.goto(f"{live_server.url}/review/")
    link = page.locator(f"main a[href='/posts/{post.pk}/']").first
    link.wait_for()
    browsers.checked(page, "/review/")
    link.click()
    page.click("#approve")
    page.wait_for_selector("#post-state[data-state='approved']")
    page.fill("#id_at", "2026-03-05T10:00")
    page.click("#schedule")
    page.wait_for_selector("#post-state[data-state='scheduled']")
    post.refresh_from_db()
    assert post.scheduled_at == datetime(2026, 3, 5, 10, 0, tzinfo=PARIS)
    assert post.approvals.get().approver.username == "manager"
    return page


def _drag_on_the_calendar(browsers: Browsers, page: Any, live_server: Any, post: Post) -> None:
    page.goto(f"{live_server.url}/calendar/")
    event = page.locator(f".fc-event[data-post='{post.pk}']")
    event.wait_for()
    browsers.checked(page, "/calendar/")
    # The week of the 10th must be on screen too: under the DSFR header, a 720 px high
    # window ends above it, and the mouse cannot drop where the window does not reach.
    page.set_viewport_size({"width": 1280, "height": 1000})
    event.scroll_into_view_if_needed()
    box = event.bounding_box()
    target = page.locator("td.fc-daygrid-day[data-date='2026-03-10']").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 20, target["y"] + target["height"] / 2, steps=12)
    page.mouse.move(target["x"] + 25, target["y"] + target["height"] / 2 + 5, steps=3)
    page.mouse.up()
    alert = page.wait_for_selector("#calendar-status .fr-alert")
    assert "success" in (alert.get_attribute("class") or ""), alert.inner_text()
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert post.scheduled_at == datetime(2026, 3, 10, 10, 0, tzinfo=PARIS)


def _publish(post: Post, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox's tick and send, run here at the new time (no broker listens in tests)."""
    adapter = FakeAdapter()
    monkeypatch.setattr(network, "get_adapter", lambda network, **kw: adapter)
    recorder = RecordingTask()
    monkeypatch.setattr(tasks, "publish", recorder)
    monkeypatch.setattr(tasks, "publish_batch", recorder)
    with time_machine.travel(datetime(2026, 3, 10, 9, 5, tzinfo=UTC), tick=False):
        for pk in publishing.tick().queued:
            publishing.publication_send(publication_id=pk)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert len(adapter.sent) == 2  # one per account


def _public_pages(browsers: Browsers, live_server: Any, org: Org, post: Post, title: str) -> None:
    page = browsers.new_page()  # nobody signed in
    page.goto(f"{live_server.url}/public/")
    assert page.inner_text("h1") == title
    browsers.checked(page, "/public/")
    page.click(f"text={org.mastodon.handle}")
    page.wait_for_url(f"**/public/a/{org.mastodon.pk}/")
    browsers.checked(page, f"/public/a/{org.mastodon.pk}/")
    page.click(f"a[href='/public/p/{post.pk}/']")
    page.wait_for_url(f"**/public/p/{post.pk}/")
    body = page.inner_text("main")
    # The byline expanded: the service, the author's and the approver's initials, not
    # their names (neither agreed to show them).
    assert "lundi" in body and "SICOM" in body and "JD" in body and "ML" in body
    assert "Dupont" not in body and "Leroy" not in body
    browsers.checked(page, f"/public/p/{post.pk}/")


def _configuration(browsers: Browsers, live_server: Any, org: Org, members_title: str) -> None:
    chief: User = make_user(username="chief", first_name="Claire", last_name="Chef")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    page = browsers.new_page()
    _login(page, live_server, "chief")
    page.goto(f"{live_server.url}/settings/")
    browsers.checked(page, "/settings/")
    page.click(f"[data-unit='{org.service.code}'] a[href$='/members/']")
    page.wait_for_url(f"**/settings/units/{org.service.pk}/members/")
    assert members_title in page.inner_text("h1")
    assert "officer" in page.inner_text("main")
    browsers.checked(page, f"/settings/units/{org.service.pk}/members/")


def test_browser_journey_compose_review_calendar_public_configuration(
    localised: tuple[Browsers, tuple[str, ...]],
    live_server: Any,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    browsers, (_locale, _language, public_title, members_title) = localised
    post = _compose_and_submit(browsers, live_server, org)
    manager_page = _approve_and_schedule(browsers, live_server, post)
    _drag_on_the_calendar(browsers, manager_page, live_server, post)
    _publish(post, monkeypatch)
    _public_pages(browsers, live_server, org, post, public_title)
    _configuration(browsers, live_server, org, members_title)
    # Each main page at a phone's width: nothing scrolls sideways.
    for page, path in browsers.visited:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert_no_sideways_scroll(page)
        page.set_viewport_size({"width": 1280, "height": 800})

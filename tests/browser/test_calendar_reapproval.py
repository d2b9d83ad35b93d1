"""A drag on the calendar when the approval policy wants every new time approved again, in
Chromium, in French and in English: the drop answers in words that the post went back for
approval, the post leaves the calendar, and it waits in the review queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from editorial.models import ApprovalPolicy, PostState, RescheduleRule
from tests.browser.a11y import assert_accessible
from tests.browser.test_calendar import MONDAY, _context, _drag, _login, _scheduled
from tests.conftest import Org
from tests.factories import make_policy

pytestmark = pytest.mark.django_db(transaction=True)
# (browser locale, page language, the answer's words)
LOCALES = [("fr-FR", "fr", "renvoyé en validation"), ("en-GB", "en", "went back to review")]


@pytest.fixture(autouse=True)
def _monday(time_machine: Any) -> None:
    time_machine.move_to(MONDAY, tick=True)


@pytest.fixture(params=LOCALES, ids=[lang for _, lang, _ in LOCALES])
def localised(request: Any, browser: Any) -> Iterator[tuple[Any, str, str]]:
    locale, language, words = request.param
    for page in _context(browser, locale):
        yield page, language, words


def test_browser_calendar_drag_sends_the_post_back_for_approval(
    localised: tuple[Any, str, str], live_server: Any, org: Org
) -> None:
    page, language, words = localised
    policy: ApprovalPolicy = make_policy(unit=org.service, name="Service")
    policy.reschedule_rule = RescheduleRule.ALWAYS
    policy.save()
    post = _scheduled(org)
    _login(page, live_server, "manager")
    page.goto(f"{live_server.url}/calendar/")
    assert page.get_attribute("html", "lang") == language
    event = page.locator(f".fc-event[data-post='{post.pk}']")
    event.wait_for()
    _drag(page, event, "2026-03-10")
    alert = page.wait_for_selector("#calendar-status .fr-alert--warning")
    assert words in alert.inner_text()
    # Off the calendar: it is no longer scheduled.
    event.wait_for(state="detached")
    assert_accessible(page)
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (PostState.IN_REVIEW, None)
    assert post.requested_publish_at == datetime.fromisoformat("2026-03-10T10:00:00+01:00")
    page.goto(f"{live_server.url}/review/")
    page.locator(f"tr[data-post='{post.pk}']").wait_for()

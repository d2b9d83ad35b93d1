"""The rules screens in Chromium, in French and in English: a unit administrator writes a
two-step approval chain and sees who would approve a post; turns a charter rule off and sees
the difference between the two versions. Each page checked with axe-core and at 360 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import Membership, User
from accounts.services import membership_create
from charter import services as charter_services
from charter.models import Charter
from editorial.models import ApprovalPolicy
from tests.browser import second_factor
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.conftest import Org
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
# (browser locale, the page's language, the saved chain's message, the diff's word for "off")
LOCALES = [
    ("fr-FR", "fr", "Circuit de validation", "désactivée"),
    ("en-GB", "en", "Approval chain", "turned off"),
]


@pytest.fixture(params=LOCALES, ids=[lang for _, lang, _, _ in LOCALES])
def localised(request: Any, browser: Any) -> Iterator[tuple[Any, tuple[str, str, str, str]]]:
    context = browser.new_context(locale=request.param[0])
    page = context.new_page()
    page.set_default_timeout(15000)
    # As the ``page`` fixture: what the Content-Security-Policy refused fails the test.
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page, request.param
    context.close()
    assert refused == [], refused


@pytest.fixture
def chef(org: Org) -> User:
    user = make_user(username="chef", first_name="Claire", last_name="Chef")
    membership_create(user=user, unit=org.service, role=Membership.Role.ADMIN)
    return user


def _login(page: Any, live_server: Any, username: str) -> None:
    second_factor.prepare(username)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor.pass_second_factor(page, live_server.url, username)
    page.wait_for_url(f"{live_server.url}/")


def _check(page: Any) -> None:
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_browser_settings_chain_written_then_previewed(
    localised: Any, live_server: Any, org: Org, chef: User
) -> None:
    page, (_locale, language, saved, _off) = localised
    _login(page, live_server, "chef")
    page.goto(f"{live_server.url}/settings/chains/")
    assert page.get_attribute("html", "lang") == language
    _check(page)
    page.click("#new-chain")
    page.fill("#id_name", "Relecture puis direction")
    page.select_option("#id_unit", str(org.service.pk))
    page.fill("#id_steps-0-name", "Relecture du service")
    # Each kind of step shows the fields it uses.
    page.select_option("#id_steps-0-kind", "hierarchy")
    assert page.is_hidden("#id_steps-0-role") and page.is_visible("#id_steps-0-levels_up")
    page.select_option("#id_steps-0-kind", "role_in_unit")
    assert page.is_visible("#id_steps-0-role") and page.is_hidden("#id_steps-0-levels_up")
    page.select_option("#id_steps-0-role", "reviewer")
    page.select_option("#id_steps-0-unit", str(org.service.pk))
    _check(page)
    page.click("#save-chain")
    page.wait_for_selector("#preview-form")
    assert saved in page.inner_text(".messages")
    policy = ApprovalPolicy.objects.get()
    assert [s.name for s in policy.steps.all()] == ["Relecture du service"]

    page.select_option("#id_preview-account", str(org.mastodon.pk))
    page.click("#try-chain")
    step = page.locator("#preview-steps li[data-step='1']")
    step.wait_for()
    assert step.locator("li[data-user='manager']").count() == 1
    # The political tier's built-in step is not asked of a standard post.
    assert page.locator("#preview-steps li[data-step='2']").count() == 0
    _check(page)


@pytest.fixture
def charter(org: Org, chef: User) -> Charter:
    charter = charter_services.charter_create(name="Charte SICOM", unit=org.service, by=chef)
    charter_services.charter_version_create(
        charter=charter, params={"terms.forbidden": {"terms": ["ASAP"]}}, by=chef
    )
    return charter


def test_browser_settings_charter_rule_turned_off_shows_in_the_diff(
    localised: Any, live_server: Any, org: Org, charter: Charter
) -> None:
    page, (_locale, language, _saved, off) = localised
    _login(page, live_server, "chef")
    page.goto(f"{live_server.url}/settings/charters/")
    _check(page)
    page.click(f"#charters tr[data-charter='{charter.pk}'] a")
    page.wait_for_selector("#versions li[data-version='1']")
    _check(page)
    page.click("#edit-charter")
    # As a user does: the DSFR draws the box on the label, which takes the click.
    page.click("label[for=id_a11y_emoji__on]")
    assert not page.is_checked("#id_a11y_emoji__on")
    page.fill("#id_terms_forbidden__terms", "ASAP\nimpacter")
    _check(page)
    page.click("#save-version")
    change = page.locator("#changes li[data-rule='a11y.emoji'] li[data-change='off']")
    change.wait_for()
    assert change.inner_text() == off
    assert "impacter" in page.inner_text("#changes li[data-rule='terms.forbidden']")
    assert page.get_attribute("html", "lang") == language
    assert charter.versions.get(number=2).params["disabled"] == ["a11y.emoji"]
    _check(page)

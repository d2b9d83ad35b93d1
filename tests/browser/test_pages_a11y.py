"""Every page of the DSFR layout, in French and in English: no serious or critical axe-core
violation, no sideways scroll at 360 px, a title that says what the page is."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from tests.browser import second_factor
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.browser.test_compose_approve import PASSWORD
from tests.browser.test_keyboard_approval import browser_page
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"width": 1280, "height": 800}
LANGUAGES = ["fr", "en"]
# The first words of each page's tab title, per language.
TITLES = {
    "fr": {
        "login": "Se connecter",
        "legal_notice": "Mentions légales",
        "accessibility": "Déclaration d'accessibilité",
        "editorial:dashboard": "Tableau de bord",
        "editorial:queue": "File de validation",
        "editorial:notifications": "Notifications",
        "editorial:delegations": "Délégations",
        "editorial:freezes": "Gels",
        "accounts:second_factor": "Second facteur",
        "publishing:accounts": "Comptes",
    },
    "en": {
        "login": "Log in",
        "legal_notice": "Legal notice",
        "accessibility": "Accessibility statement",
        "editorial:dashboard": "Dashboard",
        "editorial:queue": "Review queue",
        "editorial:notifications": "Notifications",
        "editorial:delegations": "Delegations",
        "editorial:freezes": "Freezes",
        "accounts:second_factor": "Second factor",
        "publishing:accounts": "Accounts",
    },
}


def check(page: Any, url: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def check_named(page: Any, base_url: str, name: str, language: str) -> None:
    check(page, base_url + reverse(name))
    assert page.title() == f"{TITLES[language][name]} — Porte-voix"


def login(page: Any, base_url: str, username: str) -> None:
    """Signs in; the second factor's page is checked on the way."""
    second_factor.prepare(username)
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/second-factor/verify/**")
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)
    second_factor.pass_second_factor(page, base_url, username)
    page.wait_for_url(f"{base_url}/")


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_signed_out_are_accessible(
    browser: Any, live_server: Any, db: None, language: str
) -> None:
    with browser_page(browser, language) as page:
        for name in ("login", "legal_notice", "accessibility"):
            check_named(page, live_server.url, name, language)
        # A refused login shows its error in words, still accessible.
        page.goto(live_server.url + reverse("login"))
        page.fill("#id_username", "nobody")
        page.fill("#id_password", "wrong password")
        page.click("main button[type=submit]")
        page.wait_for_selector("#login-error")
        assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_of_a_manager_are_accessible(
    browser: Any, live_server: Any, org: Org, language: str
) -> None:
    # Rows in every list: a submitted post (queue, unread notification), a deputy, a freeze.
    post = services.post_create(
        by=org.officer,
        accounts=[org.mastodon, org.bluesky],
        text="Les inscriptions ouvrent lundi https://www.service-public.fr/particuliers/vosdroits",
    )
    services.post_submit(post=post, by=org.officer)
    with browser_page(browser, language) as page:
        login(page, live_server.url, "manager")
        # The delegation and the freeze through their pages' forms, as a manager would.
        page.goto(live_server.url + reverse("editorial:delegations"))
        page.select_option("#id_deputy", str(org.officer.pk))
        page.fill("#id_starts_on", "2030-01-01")
        page.fill("#id_ends_on", "2030-01-10")
        page.click("#delegate")
        page.wait_for_selector("#given")
        page.goto(live_server.url + reverse("editorial:freezes"))
        page.select_option("#id_account", str(org.mastodon.pk))
        page.fill("#id_reason", "Incident de sécurité sur le compte, en attente d'analyse.")
        page.click("#freeze")
        page.wait_for_selector(".freeze-banner")
        for name in (
            "editorial:dashboard",
            "editorial:queue",
            "editorial:notifications",
            "editorial:delegations",
            "editorial:freezes",
            "accounts:second_factor",
        ):
            check_named(page, live_server.url, name, language)
        check(page, live_server.url + reverse("editorial:notification_preferences"))
        check(page, live_server.url + reverse("editorial:post", args=[post.pk]))


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_of_an_administrator_are_accessible(
    browser: Any, live_server: Any, org: Org, language: str
) -> None:
    chief = User.objects.get(username="manager")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    chief.is_staff = chief.is_superuser = True
    chief.save()
    with browser_page(browser, language) as page:
        login(page, live_server.url, "manager")
        check_named(page, live_server.url, "publishing:accounts", language)
        check(page, live_server.url + reverse("publishing:health"))
        check(page, live_server.url + reverse("editorial:waivers_report"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_notifications_unread_are_marked_for_every_reader(
    browser: Any, live_server: Any, org: Org, language: str
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Bonjour.")
    services.post_submit(post=post, by=org.officer)
    with browser_page(browser, language) as page:
        login(page, live_server.url, "manager")
        page.goto(live_server.url + reverse("editorial:notifications"))
        row = page.locator("#notifications tr.unread").first
        # Seen (a badge, bold words) and heard (words a screen reader says).
        assert row.locator(".fr-badge--new").is_visible()
        assert row.locator("strong").count() == 1
        unread = {"fr": "non lue(s)", "en": "unread"}[language]
        assert unread in row.locator(".fr-sr-only").text_content()
        assert unread in page.locator("#unread").text_content()
        page.click("#mark-read")
        page.wait_for_load_state()
        assert page.locator("#notifications tr.unread").count() == 0
        assert page.locator("#unread").count() == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_menu_opens_with_the_links_and_the_user_block(
    browser: Any, live_server: Any, org: Org, language: str
) -> None:
    with browser_page(browser, language) as page:
        login(page, live_server.url, "manager")
        page.set_viewport_size({"width": 360, "height": 800})
        menu = page.locator("#navigation")
        assert not menu.is_visible()  # folded behind the menu button on a phone
        page.click("#header-menu-button")
        menu.wait_for(state="visible")
        assert page.locator("#navigation a[href='/review/']").is_visible()
        # The DSFR copies the header's tools (log out, language) into the opened menu.
        assert page.locator("#header-menu form[action='/logout/'] button").is_visible()
        assert page.locator("#header-menu select[name=language]").is_visible()
        assert_accessible(page)
        page.keyboard.press("Escape")
        menu.wait_for(state="hidden")

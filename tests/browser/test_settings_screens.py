"""The configuration screens in Chromium, in French and in English: a unit administrator gives
a role, a right on one account and declares an election without the Django admin; each page is
accessible (axe-core) and fits a 360 px phone. The elections are years away: nothing here
compares with the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from accounts import permissions
from accounts.models import AccountGrant, Membership, User
from accounts.services import membership_create
from charter.models import ElectionWindow
from tests.browser import second_factor
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.conftest import Org
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
# (browser locale, the page's language, the members page's title, the elections page's title)
LOCALES = [
    ("fr-FR", "fr", "Membres de", "Périodes électorales"),
    ("en-GB", "en", "Members of", "Election periods"),
]


@pytest.fixture(params=LOCALES, ids=[case[1] for case in LOCALES])
def localised(request: Any, browser: Any) -> Iterator[tuple[Any, tuple[str, str, str, str]]]:
    """A page in the case's language; like the ``page`` fixture, it fails on anything the
    Content-Security-Policy refused."""
    context = browser.new_context(locale=request.param[0])
    page = context.new_page()
    page.set_default_timeout(15000)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page, request.param
    context.close()
    assert refused == [], refused


@pytest.fixture
def chief(org: Org) -> User:
    user = make_user(username="chief", first_name="Claire", last_name="Chef")
    membership_create(user=user, unit=org.service, role=Membership.Role.ADMIN)
    return user


def _login(page: Any, live_server: Any, username: str, language: str) -> None:
    second_factor.prepare(username)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor.pass_second_factor(page, live_server.url, username)
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_attribute("html", "lang") == language


def _checked(page: Any) -> None:
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_browser_settings_add_a_member_as_reviewer(
    localised: tuple[Any, tuple[str, str, str, str]], live_server: Any, org: Org, chief: User
) -> None:
    page, (_locale, language, members_title, _elections) = localised
    _login(page, live_server, "chief", language)
    page.goto(f"{live_server.url}/settings/")
    _checked(page)
    page.click(f"[data-unit='{org.service.code}'] a[href$='/members/']")
    assert members_title in page.inner_text("h1")
    page.fill("#id_person", "outsider")
    page.select_option("#id_role", "reviewer")
    page.click("#add-member")
    page.wait_for_selector("tr[data-person='outsider'] li[data-role='reviewer']")
    assert Membership.objects.filter(user=org.outsider, unit=org.service, role="reviewer").exists()
    _checked(page)


def test_browser_settings_grant_a_right_on_one_account(
    localised: tuple[Any, tuple[str, str, str, str]], live_server: Any, org: Org, chief: User
) -> None:
    page, (_locale, language, _members, _elections) = localised
    _login(page, live_server, "chief", language)
    page.goto(f"{live_server.url}/settings/")
    page.click(f"a[href='/settings/accounts/{org.mastodon.pk}/rights/']")
    page.fill("#id_person", "officer")
    page.select_option("#id_right", "urgent_publish_on_account")
    page.click("#grant")
    page.wait_for_selector("tr[data-person='officer'] [data-grant='urgent_publish_on_account']")
    grant = AccountGrant.objects.get(user=org.officer)
    assert (grant.account, grant.granted_by) == (org.mastodon, chief)
    officer = User.objects.get(pk=org.officer.pk)
    assert permissions.can(officer, permissions.Perm.URGENT, org.mastodon)
    _checked(page)


def test_browser_settings_declare_an_election_period(
    localised: tuple[Any, tuple[str, str, str, str]], live_server: Any, org: Org, chief: User
) -> None:
    page, (_locale, language, _members, elections_title) = localised
    _login(page, live_server, "chief", language)
    page.goto(f"{live_server.url}/settings/")
    page.click("a[href='/settings/elections/']")
    assert elections_title in page.inner_text("h1")
    page.fill("#id_name", "Municipales 2032")
    page.select_option("#id_kind", "municipal")
    page.select_option("#id_unit", str(org.service.pk))
    page.fill("#id_first_round", "2032-03-14")
    page.fill("#id_second_round", "2032-03-21")
    page.click("#save-election")
    page.wait_for_selector("tr[data-election]")
    window = ElectionWindow.objects.get()
    assert (window.unit, window.first_round) == (org.service, date(2032, 3, 14))
    _checked(page)


def test_browser_settings_designate_then_remove_an_electoral_referent(
    localised: tuple[Any, tuple[str, str, str, str]], live_server: Any, org: Org, chief: User
) -> None:
    from charter.models import ElectoralReferent

    page, (_locale, language, _members, elections_title) = localised
    _login(page, live_server, "chief", language)
    page.goto(f"{live_server.url}/settings/elections/")
    assert elections_title in page.inner_text("h1")
    page.fill("#id_referent-person", "manager")
    page.select_option("#id_referent-unit", str(org.service.pk))
    page.click("#designate")
    page.wait_for_selector("#referents li[data-referent]")
    referent = ElectoralReferent.objects.get()
    assert (referent.user, referent.unit) == (org.manager, org.service)
    assert org.service.code in page.inner_text("#referents")
    _checked(page)
    # Removed from the same page, with the person's name for screen readers on the button.
    page.click(f"li[data-referent='{referent.pk}'] button")
    page.wait_for_selector("#referents", state="detached")
    assert not ElectoralReferent.objects.exists()
    _checked(page)

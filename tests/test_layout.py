"""The DSFR layout: the footer's public pages, the main menu built from one list, the tab
title a page gets when its template sets none."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from editorial.templatetags import editorial_nav
from tests.browser.test_compose_approve import PASSWORD
from tests.conftest import Org
from tests.factories import make_user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "Accessibilité\u00a0: non conforme"), ("en", "Accessibility: not compliant")],
)
def test_layout_footer_pages_are_public_and_honest(language: str, words: str) -> None:
    client = Client(headers={"accept-language": language})
    login_page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("legal_notice")}"' in login_page
    assert words in login_page.replace("&nbsp;", "\u00a0")
    for name in ("legal_notice", "accessibility"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "id_username" not in response.content.decode()  # not the login page


@pytest.mark.django_db
def test_layout_footer_pages_open_before_the_second_factor(org: Org) -> None:
    """A reviewer signed in but not yet through the second factor may still read them."""
    from tests.browser.second_factor import prepare

    prepare("manager")
    client = Client()
    # A password login (not force_login, which the test fixtures verify): no second factor yet.
    client.post(reverse("login"), {"username": "manager", "password": PASSWORD})
    assert client.get(reverse("accessibility")).status_code == 200
    waiting = client.get(reverse("editorial:queue"))  # the rest waits for the code
    assert waiting.status_code == 302
    assert waiting["Location"].startswith(reverse("accounts:second_factor_verify"))


@pytest.mark.django_db
def test_layout_menu_follows_the_list_and_marks_the_current_page(org: Org) -> None:
    nav = editorial_nav.editorial_nav(org.officer, reverse("editorial:queue"))
    assert nav is not None
    names = [entry.url_name for entry in nav.menu]
    # An author sees the entries for everyone, none of those behind a right.
    assert names == [link.url_name for link in editorial_nav.LINKS if not link.when]
    assert [entry.url_name for entry in nav.menu if entry.current] == ["editorial:queue"]


@pytest.mark.django_db
def test_layout_menu_names_only_pages_that_exist(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every entry reverses (a superuser is shown them all); a misspelt or removed page is an
    # error here, not a link silently missing from everyone's menu.
    boss = make_user(is_superuser=True, is_staff=True)
    nav = editorial_nav.editorial_nav(boss, "/")
    assert nav is not None
    assert [entry.url_name for entry in nav.menu] == [link.url_name for link in editorial_nav.LINKS]
    links = (*editorial_nav.LINKS, editorial_nav.Link("editorial:not_yet", "Soon"))
    monkeypatch.setattr(editorial_nav, "LINKS", links)
    with pytest.raises(NoReverseMatch):
        editorial_nav.editorial_nav(org.officer, "/")


@pytest.mark.django_db
def test_layout_title_of_a_page_without_its_own(org: Org) -> None:
    client = Client(headers={"accept-language": "fr"})
    client.force_login(org.officer)
    page = client.get(reverse("editorial:dashboard")).content.decode()
    assert "<title>Tableau de bord — Porte-voix</title>" in page
    assert editorial_nav.default_title("nothing:known") == ""

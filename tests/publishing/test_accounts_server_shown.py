"""The accounts page shows what was detected about a Mastodon-API server, in words, and
asks for a test of the connection while nothing is known yet."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.services import (
    membership_create,
    social_account_needs_reconnection,
    social_account_set_server_info,
)
from tests.factories import make_account, make_unit, make_user

pytestmark = pytest.mark.django_db


def _page(language: str, server_info: dict[str, object] | None) -> str:
    unit = make_unit()
    # Empty: connected before the server was described (the factory describes a Mastodon).
    account = make_account(unit, server_info={})
    if server_info is not None:
        social_account_set_server_info(account_id=account.pk, info=server_info)
    admin = make_user(username="chef")
    membership_create(user=admin, unit=unit, role=Membership.Role.ADMIN)
    client = Client(headers={"accept-language": language})
    client.force_login(admin)
    return client.get(reverse("publishing:accounts")).content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "GoToSocial 0.20.0 · 5000 caractères au plus"), ("en", "GoToSocial 0.20.0 · 5000")],
)
def test_accounts_page_shows_the_detected_software(language: str, words: str) -> None:
    page = _page(
        language,
        {
            "software": "gotosocial",
            "version": "0.20.0",
            "max_characters": 5000,
            "characters_reserved_per_url": 25,
        },
    )
    assert words in page


def test_accounts_page_says_when_the_software_is_not_recognised() -> None:
    page = _page(
        "fr",
        {
            "software": "",
            "version": "v0.20.0-rc1",
            "max_characters": 500,
            "characters_reserved_per_url": 23,
        },
    )
    assert "Logiciel non reconnu (v0.20.0-rc1)\u00a0: longueurs comptées prudemment" in page


def test_accounts_page_asks_to_test_a_server_not_described_yet() -> None:
    assert "Serveur pas encore décrit\u00a0: testez la connexion." in _page("fr", None)


def test_accounts_page_says_statuses_are_read() -> None:
    assert "à lire ses messages" in _page("fr", None)


@pytest.mark.parametrize(
    ("language", "words", "not_words"),
    [
        ("fr", "n'a pas la permission read:statuses", "lacks the permission"),
        ("en", "lacks the permission read:statuses", "n'a pas la permission"),
    ],
)
def test_accounts_page_says_in_the_readers_language_which_permission_is_missing(
    language: str, words: str, not_words: str
) -> None:
    unit = make_unit()
    account = make_account(unit)
    # Stored in English by a worker (no reader's language there).
    social_account_needs_reconnection(
        account_id=account.pk,
        reason="The account's access lacks the permission read:statuses (stored words).",
        missing_scopes=("read:statuses",),
    )
    admin = make_user(username="chef")
    membership_create(user=admin, unit=unit, role=Membership.Role.ADMIN)
    client = Client(headers={"accept-language": language})
    client.force_login(admin)
    page = client.get(reverse("publishing:accounts")).content.decode().replace("&#x27;", "'")

    assert words in page
    assert not_words not in page

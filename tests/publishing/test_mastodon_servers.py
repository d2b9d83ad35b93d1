"""Servers of the Mastodon API other than Mastodon: the software read from its version
string, what it counts and keeps, the SDK never parsing a server's version, and a failure of
Mastodon.py itself classified in words."""

from __future__ import annotations

import pytest

from accounts.models import SocialAccount
from publishing.adapters.mastodon.adapter import ASSUMED_VERSION, sdk_client
from publishing.adapters.mastodon.errors import classify_sdk_fault
from publishing.adapters.mastodon.server import (
    COUNT_CODEPOINTS,
    COUNT_CONSERVATIVE,
    COUNT_MASTODON,
    counting_for,
    honours_idempotency_key,
    software_from_version,
    statuses_configuration,
)


@pytest.mark.parametrize(
    ("version", "software"),
    [
        ("4.3.2", "mastodon"),
        ("4.2.0+glitch", "mastodon"),
        ("0.17.3 git-6a4e2bd", ""),
        ("v0.20.0-rc1", ""),
        ("2.7.2 (compatible; Akkoma 3.13.2)", "akkoma"),
        ("2.7.2 (compatible; Pleroma 2.6.0)", "pleroma"),
        ("0.20.0 GoToSocial", "gotosocial"),
        ("", ""),
    ],
)
def test_software_from_version_string(version: str, software: str) -> None:
    assert software_from_version(version) == software


def test_only_mastodon_counts_its_way_and_keeps_the_key() -> None:
    assert (counting_for("mastodon"), honours_idempotency_key("mastodon")) == (
        COUNT_MASTODON,
        True,
    )
    assert (counting_for("gotosocial"), honours_idempotency_key("gotosocial")) == (
        COUNT_CODEPOINTS,
        False,
    )
    for unknown in ("", "akkoma", "takahe", "something-new"):
        assert counting_for(unknown) == COUNT_CONSERVATIVE
        assert not honours_idempotency_key(unknown)


def test_statuses_configuration_v2_v1_and_pleroma_defaults() -> None:
    v2 = {"configuration": {"statuses": {"max_characters": 280, "characters_reserved_per_url": 25}}}
    assert statuses_configuration(v2) == (280, 25)
    assert statuses_configuration({"max_toot_chars": 5000}) == (5000, 23)
    assert statuses_configuration({}) == (500, 23)


def test_sdk_client_never_asks_or_parses_the_servers_version() -> None:
    # Nothing listens on port 9: any request would raise.
    api = sdk_client(api_base_url="http://127.0.0.1:9", access_token="t", request_timeout=1)
    assert (api.mastodon_major, api.mastodon_minor, api.mastodon_patch) == ASSUMED_VERSION
    # media_post's choice of /api/v2/media, answered without a request.
    assert api.verify_minimum_version("3.1.4", cached=True)


def test_sdk_fault_is_permanent_and_says_what_failed() -> None:
    try:
        int("")  # what Mastodon.py's parse_version_string raised on "v0.20.0-rc1"
    except ValueError as exc:
        error = classify_sdk_fault(exc, doing="uploading an image")
    assert error.permanent and not error.maybe_sent
    assert "uploading an image" in error.message
    assert "ValueError" in error.message


def test_sdk_media_post_would_have_failed_on_the_version_string() -> None:
    """The defect itself, for the record: Mastodon.py parsing "v0.20.0-rc1" raises
    ValueError (not a MastodonError); sdk_client never gets there."""
    from mastodon.versions import parse_version_string

    with pytest.raises(ValueError):
        parse_version_string("v0.20.0-rc1")
    api = sdk_client(api_base_url="http://127.0.0.1:9", access_token="t", request_timeout=1)
    assert api.verify_minimum_version("3.1.4", cached=True)


def test_account_not_yet_detected_counts_conservatively() -> None:
    account = SocialAccount(network="mastodon", server_url="https://x.example", handle="a")
    assert account.length_counting == COUNT_CONSERVATIVE
    account.server_info = {"counting": COUNT_CODEPOINTS, "missing_scopes": ["read:statuses"]}
    assert account.length_counting == COUNT_CODEPOINTS
    assert account.missing_scopes == ["read:statuses"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", "Reconnectez ce compte pour accorder à Porte-voix la nouvelle autorisation"),
        ("en", "Reconnect this account to grant Porte-voix the new permission"),
    ],
)
def test_accounts_page_asks_to_reconnect_for_a_missing_scope(language: str, words: str) -> None:
    from django.test import Client
    from django.urls import reverse

    from accounts.models import Membership
    from accounts.services import membership_create, social_account_needs_reconnection
    from tests.factories import make_account, make_unit, make_user

    unit = make_unit()
    account = make_account(unit)
    social_account_needs_reconnection(
        account_id=account.pk, reason="403", missing_scopes=("read:statuses",)
    )
    admin = make_user(username="chef")
    membership_create(user=admin, unit=unit, role=Membership.Role.ADMIN)
    client = Client(headers={"accept-language": language})
    client.force_login(admin)
    page = client.get(reverse("publishing:accounts")).content.decode()
    assert words in page
    assert "(read:statuses)" in page

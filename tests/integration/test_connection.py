from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from accounts.models import SocialAccount
from accounts.services import social_account_create
from tests.factories import make_unit

pytestmark = pytest.mark.django_db


def test_check_connection_refreshes_mastodon_limits(mastodon_peer: Any) -> None:
    account = social_account_create(
        network=SocialAccount.Network.MASTODON,
        server_url=mastodon_peer.url,
        handle="ministere",
        unit=make_unit(),
        max_characters=100,
        credentials={"secret": mastodon_peer.create_token("ministere")},
    )
    out = StringIO()
    call_command("check_connection", account.pk, stdout=out)
    account.refresh_from_db()
    assert "OK as ministere" in out.getvalue()
    assert (account.max_characters, account.characters_reserved_per_url) == (500, 23)
    # The server is described too (what `make run` relies on for the demo's counters).
    assert account.length_counting == "mastodon"
    assert f"({account.server_software}, limit 500 characters)" in out.getvalue()
    assert account.server_software.startswith("Mastodon ")


def test_check_connection_reports_bad_credentials(mastodon_peer: Any, bluesky_peer: Any) -> None:
    unit = make_unit()
    good = bluesky_peer.create_account("ministere")
    bluesky = social_account_create(
        network=SocialAccount.Network.BLUESKY,
        server_url=bluesky_peer.url,
        handle=good.handle,
        unit=unit,
        credentials={"secret": good.app_password},
    )
    broken = social_account_create(
        network=SocialAccount.Network.MASTODON,
        server_url=mastodon_peer.url,
        handle="ministere",
        unit=unit,
        credentials={"secret": "not-a-token"},
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 account"):
        call_command("check_connection", bluesky.pk, broken.pk, stdout=out, stderr=err)
    assert f"OK as {good.did}" in out.getvalue()
    assert f"#{broken.pk}" in err.getvalue() and "FAILED" in err.getvalue()

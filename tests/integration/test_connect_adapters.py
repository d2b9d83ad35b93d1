"""Connecting accounts on the real peers: Mastodon's authorization-code flow end to end
(registration, the instance's consent page, the redirect with state, the token), and a
Bluesky handle resolved to its PDS through resolveHandle and the PLC directory."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from publishing.adapters.base import PublishError
from publishing.adapters.connect import (
    MASTODON_SCOPES,
    bluesky_resolve,
    check_app_password,
    mastodon_authorization_url,
    mastodon_exchange_code,
    mastodon_register_app,
)

if TYPE_CHECKING:
    from peers.mastodon import MastodonPeer
    from peers.pds import BlueskyPeer, BlueskyTestAccount

CALLBACK = "http://testserver/connect/mastodon/callback/"
TIMEOUT = 5.0


def consent(authorize_url: str, username: str, *, callback: str = CALLBACK) -> str:
    """What the officer does on the instance: pick the account and authorise; returns the
    redirect back to us."""
    page = httpx.get(authorize_url, timeout=TIMEOUT)
    assert page.status_code == 200
    parts = urlsplit(authorize_url)
    query = parse_qs(parts.query)
    answer = httpx.post(
        f"{parts.scheme}://{parts.netloc}/oauth/authorize",
        data={
            "username": username,
            "redirect_uri": query["redirect_uri"][0],
            "client_id": query["client_id"][0],
            "scope": query["scope"][0],
            "state": query["state"][0],
        },
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302
    target = answer.headers["location"]
    assert target.startswith(callback)
    return str(target)


def test_mastodon_oauth_flow_gives_a_working_token_for_the_chosen_account(
    mastodon_peer: MastodonPeer,
) -> None:
    mastodon_peer.create_token("prefecture")  # the official account exists on the instance
    app = mastodon_register_app(
        mastodon_peer.url, redirect_uri=CALLBACK, website="", timeout=TIMEOUT, allow_http=True
    )
    url = mastodon_authorization_url(
        mastodon_peer.url,
        app,
        redirect_uri=CALLBACK,
        state="s3cr3t-state",
        timeout=TIMEOUT,
        allow_http=True,
    )
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == [" ".join(MASTODON_SCOPES)]
    assert query["state"] == ["s3cr3t-state"]

    back = parse_qs(urlsplit(consent(url, "prefecture")).query)
    assert back["state"] == ["s3cr3t-state"]
    token, acct = mastodon_exchange_code(
        mastodon_peer.url,
        app,
        code=back["code"][0],
        redirect_uri=CALLBACK,
        timeout=TIMEOUT,
        allow_http=True,
    )

    assert acct == "prefecture"
    assert mastodon_peer.client(token).account_verify_credentials()["acct"] == "prefecture"


def test_mastodon_register_refuses_clear_text_instance() -> None:
    with pytest.raises(PublishError) as info:
        mastodon_register_app(
            "http://instance.example",
            redirect_uri=CALLBACK,
            website="",
            timeout=1,
            allow_http=False,
        )
    assert info.value.permanent
    assert "https://" in info.value.message


def test_bluesky_handle_resolves_to_its_pds(
    bluesky_peer: BlueskyPeer, bluesky_account: BlueskyTestAccount
) -> None:
    identity = bluesky_resolve(
        "@" + bluesky_account.handle.upper(),
        resolver_url=bluesky_peer.url,
        plc_url=bluesky_peer.plc_url,
        timeout=TIMEOUT,
        allow_http=True,
    )

    assert identity.did == bluesky_account.did
    assert identity.pds_url == bluesky_peer.url.rstrip("/")
    assert identity.handle == bluesky_account.handle


def test_bluesky_unknown_handle_is_a_permanent_error_with_words(bluesky_peer: BlueskyPeer) -> None:
    with pytest.raises(PublishError) as info:
        bluesky_resolve(
            "personne.test",
            resolver_url=bluesky_peer.url,
            plc_url=bluesky_peer.plc_url,
            timeout=TIMEOUT,
            allow_http=True,
        )
    assert info.value.permanent
    assert "personne.test" in info.value.message


def test_bluesky_app_password_of_the_peer_has_the_app_password_shape(
    bluesky_account: BlueskyTestAccount,
) -> None:
    assert check_app_password(bluesky_account.app_password) == bluesky_account.app_password

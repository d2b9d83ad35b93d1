"""Connecting accounts through the pages, against the real peers: the Mastodon OAuth flow
with its state, Bluesky with an app password, the connection test, and the refusals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, SocialAccount
from accounts.services import membership_create
from editorial.models import AuditEvent
from publishing.models import MastodonApp
from tests.conftest import Org
from tests.factories import make_user
from tests.integration.test_adapters import closed_port_url
from tests.integration.test_connect_adapters import consent

if TYPE_CHECKING:
    from peers.mastodon import MastodonPeer
    from peers.pds import BlueskyPeer, BlueskyTestAccount

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _peers_settings(settings: Any, bluesky_peer: BlueskyPeer) -> None:
    settings.SITE_URL = "http://testserver"
    settings.PUBLISH_ALLOW_HTTP = True
    settings.BLUESKY_HANDLE_RESOLVER_URL = bluesky_peer.url
    settings.BLUESKY_PLC_URL = bluesky_peer.plc_url


@pytest.fixture
def admin(org: Org) -> Any:
    user = make_user(username="chef", first_name="Anne", last_name="Chef")
    membership_create(user=user, unit=org.service, role=Membership.Role.ADMIN)
    return user


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _start(client: Client, org: Org, peer: MastodonPeer) -> str:
    response = client.post(
        reverse("publishing:connect_mastodon"),
        {"unit": org.service.pk, "instance_url": peer.url},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(peer.url)
    return str(response["Location"])


CALLBACK = "http://testserver/accounts/connect/mastodon/callback/"


def _authorise(client: Client, org: Org, peer: MastodonPeer, username: str) -> str:
    """Start on our page, consent on the instance; the path we are sent back to."""
    parts = urlsplit(consent(_start(client, org, peer), username, callback=CALLBACK))
    return f"{parts.path}?{parts.query}"


def _back(client: Client, path: str) -> Any:
    return client.get(path, follow=True)


def test_connect_mastodon_through_oauth_stores_an_encrypted_working_token(
    org: Org, admin: Any, mastodon_peer: MastodonPeer
) -> None:
    mastodon_peer.create_token("prefecture")
    client = _client(admin)

    page = _back(client, _authorise(client, org, mastodon_peer, "prefecture"))

    account = SocialAccount.objects.get(handle="prefecture")
    assert account.unit == org.service
    assert account.server_url == mastodon_peer.url.rstrip("/")
    token = account.get_credentials()["secret"]
    assert mastodon_peer.client(token).account_verify_credentials()["acct"] == "prefecture"
    assert token not in account.credentials_encrypted
    assert token.encode() not in page.content
    assert b"is connected" in page.content
    assert MastodonApp.objects.count() == 1
    assert AuditEvent.objects.filter(verb="account_connected", actor=admin).count() == 1


def test_connect_mastodon_twice_reuses_the_app_and_reconnects(
    org: Org, admin: Any, mastodon_peer: MastodonPeer
) -> None:
    mastodon_peer.create_token("agence")
    client = _client(admin)
    for _ in range(2):
        _back(client, _authorise(client, org, mastodon_peer, "agence"))

    assert SocialAccount.objects.filter(handle="agence").count() == 1
    assert MastodonApp.objects.count() == 1
    assert AuditEvent.objects.filter(verb="account_reconnected").count() == 1


def test_connect_mastodon_callback_with_a_forged_state_stores_nothing(
    org: Org, admin: Any, mastodon_peer: MastodonPeer
) -> None:
    mastodon_peer.create_token("victime")
    client = _client(admin)
    path = _authorise(client, org, mastodon_peer, "victime")
    forged = path.split("&state=")[0] + "&state=forged"

    page = _back(client, forged)

    assert not SocialAccount.objects.filter(handle="victime").exists()
    assert b"does not match the one started here" in page.content


def test_connect_mastodon_state_is_single_use(
    org: Org, admin: Any, mastodon_peer: MastodonPeer
) -> None:
    mastodon_peer.create_token("unefois")
    client = _client(admin)
    path = _authorise(client, org, mastodon_peer, "unefois")
    _back(client, path)
    SocialAccount.objects.filter(handle="unefois").delete()

    page = _back(client, path)  # replayed

    assert not SocialAccount.objects.filter(handle="unefois").exists()
    assert b"does not match the one started here" in page.content


def test_connect_bluesky_with_app_password_resolves_the_pds(
    org: Org, admin: Any, bluesky_peer: BlueskyPeer, bluesky_account: BlueskyTestAccount
) -> None:
    page = _client(admin).post(
        reverse("publishing:connect_bluesky"),
        {
            "unit": org.service.pk,
            "handle": "@" + bluesky_account.handle,
            "app_password": bluesky_account.app_password,
        },
        follow=True,
    )

    account = SocialAccount.objects.get(handle=bluesky_account.handle)
    assert account.server_url == bluesky_peer.url.rstrip("/")
    assert account.get_credentials() == {"secret": bluesky_account.app_password}
    assert bluesky_account.app_password.encode() not in page.content
    assert b"is connected" in page.content


def test_connect_bluesky_refuses_a_main_password_and_says_why(
    org: Org, admin: Any, bluesky_account: BlueskyTestAccount
) -> None:
    page = _client(admin).post(
        reverse("publishing:connect_bluesky"),
        {"unit": org.service.pk, "handle": bluesky_account.handle, "app_password": "hunter2!"},
    )

    assert page.status_code == 400
    assert b"This is not an app password" in page.content
    assert not SocialAccount.objects.filter(handle=bluesky_account.handle).exists()


def test_test_connection_reports_in_words(org: Org, admin: Any) -> None:
    # org.mastodon points at a loopback port where nothing listens: refused at once, with no
    # DNS lookup and no network (its factory name, social.example.gouv.fr, needed public DNS
    # to fail). The test says so, in words.
    SocialAccount.objects.filter(pk=org.mastodon.pk).update(server_url=closed_port_url())
    page = _client(admin).post(
        reverse("publishing:test_connection", args=[org.mastodon.pk]), follow=True
    )
    assert b"the connection fails" in page.content
    assert b"unreachable" in page.content


def test_accounts_page_refused_to_non_administrators(org: Org) -> None:
    assert _client(org.manager).get(reverse("publishing:accounts")).status_code == 403


def test_connect_refused_for_a_unit_one_does_not_administer(
    org: Org, admin: Any, mastodon_peer: MastodonPeer
) -> None:
    other = org.ministry  # the admin administers the service, not the ministry above it
    response = _client(admin).post(
        reverse("publishing:connect_mastodon"),
        {"unit": other.pk, "instance_url": mastodon_peer.url},
    )
    assert response.status_code == 400
    assert MastodonApp.objects.count() == 0

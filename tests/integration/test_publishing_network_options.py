"""Through the outbox to the real peers: each network gets its own version of the text and
its options, as approved."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from accounts.models import Membership, SocialAccount
from accounts.services import membership_create, social_account_create
from editorial import services as editorial
from editorial.networks import NetworkOptions
from publishing import services
from publishing.models import Publication, PublicationState
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.django_db


def _connect(bluesky_peer: Any, mastodon_peer: Any) -> dict[str, Any]:
    """Accounts of their own on both peers: other tests count the statuses of theirs."""
    unit = make_unit(name="Service communication", code="sicom")
    officer = make_user(username="officer", first_name="Jeanne", last_name="Dupont")
    manager = make_user(username="manager", first_name="Marc", last_name="Leroy")
    bsky = bluesky_peer.create_account("prefecture")
    username = f"prefecture_{secrets.token_hex(4)}"
    token = mastodon_peer.create_token(username)
    accounts = {
        network: social_account_create(
            network=network,
            server_url=url,
            handle=handle,
            unit=unit,
            credentials={"secret": secret},
        )
        for network, url, handle, secret in (
            (SocialAccount.Network.MASTODON, mastodon_peer.url, username, token),
            (SocialAccount.Network.BLUESKY, bluesky_peer.url, bsky.handle, bsky.app_password),
        )
    }
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=unit, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=unit, role=Membership.Role.PUBLISHER)
    return {
        "officer": officer,
        "manager": manager,
        "mastodon": accounts[SocialAccount.Network.MASTODON],
        "bluesky": accounts[SocialAccount.Network.BLUESKY],
        "bsky": bsky,
        "token": token,
    }


def test_publishing_sends_each_network_its_variant_and_options(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    post = editorial.post_create(
        by=ctx["officer"],
        accounts=[ctx["mastodon"], ctx["bluesky"]],
        text="Le bilan complet de l'accident de la RN12, avec les itinéraires de déviation.",
        language="fr",
        network=NetworkOptions(
            variants={"bluesky": "Accident sur la RN12 : déviation."},
            visibility="unlisted",
            spoiler_text="Accident",
            reply_gate="nobody",
        ),
    )
    editorial.post_submit(post=post, by=ctx["officer"])
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.tick().queued

    for pk in queued:
        assert services.publication_send(publication_id=pk) == PublicationState.PUBLISHED

    status = mastodon_peer.status(
        ctx["token"], Publication.objects.get(account=ctx["mastodon"]).remote_id
    )
    assert "itinéraires de déviation" in status["content"]
    assert (status["spoiler_text"], status["visibility"]) == ("Accident", "unlisted")
    rkey = Publication.objects.get(account=ctx["bluesky"]).remote_id.rsplit("/", 1)[-1]
    records = {
        collection: httpx.get(
            f"{bluesky_peer.url}/xrpc/com.atproto.repo.getRecord",
            params={"repo": ctx["bsky"].did, "collection": collection, "rkey": rkey},
            timeout=5,
        ).json()
        for collection in ("app.bsky.feed.post", "app.bsky.feed.threadgate")
    }
    assert records["app.bsky.feed.post"]["value"]["text"] == (
        "Accident sur la RN12 : déviation.\n\n— SICOM ^JD"
    )
    assert records["app.bsky.feed.threadgate"]["value"]["allow"] == []

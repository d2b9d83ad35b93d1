"""Officer drafts → charter passes → manager approves → scheduled one second ahead → a real
Celery worker publishes to the real Bluesky PDS and the Mastodon peer; read back from both."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone
from mastodon import Mastodon

from accounts.models import Membership, SocialAccount
from accounts.services import membership_create, social_account_create
from editorial import services as editorial
from editorial.models import Post, PostState
from publishing.models import Publication, PublicationState
from tests.factories import make_unit, make_user
from tests.integration.worker import celery_worker_process  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _connect(bluesky_peer: Any, mastodon_peer: Any) -> dict[str, Any]:
    unit = make_unit(name="Service communication", code="sicom")
    officer = make_user(username="officer", first_name="Jeanne", last_name="Dupont")
    manager = make_user(username="manager", first_name="Marc", last_name="Leroy")
    bsky = bluesky_peer.create_account("ministere")
    token = mastodon_peer.create_token("ministere")
    mastodon = social_account_create(
        network=SocialAccount.Network.MASTODON,
        server_url=mastodon_peer.url,
        handle="ministere",
        unit=unit,
        credentials={"secret": token},
    )
    bluesky = social_account_create(
        network=SocialAccount.Network.BLUESKY,
        server_url=bluesky_peer.url,
        handle=bsky.handle,
        unit=unit,
        credentials={"secret": bsky.app_password},
    )
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=unit, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=unit, role=Membership.Role.PUBLISHER)
    return {
        "officer": officer,
        "manager": manager,
        "mastodon": mastodon,
        "bluesky": bluesky,
        "bsky": bsky,
        "token": token,
    }


def _wait_for(post: Post, states: set[str], timeout: float = 180) -> Post:
    # A bound on the wait, generous for a busy machine: how fast is bench/'s business.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        post.refresh_from_db()
        if post.state in states:
            return post
        time.sleep(0.2)
    raise AssertionError(f"post stayed {post.state}; last error: {post.last_error}")


def test_end_to_end_draft_to_both_networks(
    bluesky_peer: Any,
    mastodon_peer: Any,
    celery_worker_process: Any,  # noqa: F811
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    text = "Découvrez le guichet unique 🇫🇷 https://www.service-public.fr #ServicePublic"
    post = editorial.post_create(
        by=ctx["officer"], accounts=[ctx["mastodon"], ctx["bluesky"]], text=text, language="fr"
    )
    report = editorial.post_submit(post=post, by=ctx["officer"])
    assert report.ok
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"], at=timezone.now() + timedelta(seconds=1))

    post = _wait_for(post, {PostState.PUBLISHED, PostState.FAILED})
    assert post.state == PostState.PUBLISHED, post.last_error

    expected = f"{text}\n\n— SICOM ^JD"
    bsky_pub = Publication.objects.get(post=post, account=ctx["bluesky"])
    masto_pub = Publication.objects.get(post=post, account=ctx["mastodon"])
    for pub in (bsky_pub, masto_pub):
        assert pub.state == PublicationState.PUBLISHED
        assert pub.text == expected
        assert pub.byline == "— SICOM ^JD"
        assert pub.byline_record["approvers"][0]["name"] == "Marc Leroy"
        assert pub.scheduled_by == ctx["manager"]
        assert pub.remote_url

    # Bluesky: read the record back from the PDS.
    client = bluesky_peer.client(ctx["bsky"])
    rkey = bsky_pub.remote_id.rsplit("/", 1)[-1]
    record = client.com.atproto.repo.get_record(
        {"repo": ctx["bsky"].did, "collection": "app.bsky.feed.post", "rkey": rkey}
    ).value
    assert record.text == expected
    assert record.langs == ["fr"]
    encoded = expected.encode()
    features = {}
    for facet in record.facets:
        span = encoded[facet.index.byte_start : facet.index.byte_end].decode()
        features[facet.features[0].py_type] = span
    assert features["app.bsky.richtext.facet#link"] == "https://www.service-public.fr"
    assert features["app.bsky.richtext.facet#tag"] == "#ServicePublic"

    # Mastodon: read the status back by id.
    api = Mastodon(access_token=ctx["token"], api_base_url=mastodon_peer.url)
    status = api.status(masto_pub.remote_id)
    assert "SICOM ^JD" in status["content"]
    assert "guichet unique" in status["content"]
    assert status["language"] == "fr"
    # The demo's links open locally: the peer's API for the status, the PDS for the record.
    assert httpx.get(masto_pub.remote_url, timeout=10).json()["id"] == masto_pub.remote_id
    assert httpx.get(bsky_pub.remote_url, timeout=10).json()["uri"] == bsky_pub.remote_id

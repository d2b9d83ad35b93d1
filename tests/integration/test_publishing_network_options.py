"""Through the outbox to the real peers: each network gets its own version of the text and
its options, as approved."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from editorial import services as editorial
from editorial.networks import NetworkOptions
from publishing import services
from publishing.models import Publication, PublicationState
from tests.integration.test_end_to_end import _connect

pytestmark = pytest.mark.django_db


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

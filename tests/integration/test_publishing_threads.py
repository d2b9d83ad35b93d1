"""A thread through the outbox to the real peers: on Mastodon each part replies to the one
before (the first public, the replies unlisted); on Bluesky each reply names the thread's root
and its parent with strong references; the byline is in the last part only."""

from __future__ import annotations

from typing import Any

import pytest

from editorial import services as editorial
from publishing import services
from publishing.models import Publication, PublicationState
from tests.integration.test_publishing_network_options import _connect

pytestmark = pytest.mark.django_db

PARTS = [
    "Plan grand froid : ce qu'il faut savoir (1/3).",
    "Les accueils de jour restent ouverts tout le week-end (2/3).",
    "Appelez le 115 si vous voyez une personne en difficulté (3/3).",
]


def test_thread_reaches_both_networks_as_reply_chains(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PUBLISH_ACCOUNT_CONCURRENCY = 10
    ctx = _connect(bluesky_peer, mastodon_peer)
    post = editorial.post_create(
        by=ctx["officer"],
        accounts=[ctx["mastodon"], ctx["bluesky"]],
        text=PARTS[0],
        thread=PARTS[1:],
        language="fr",
    )
    editorial.post_submit(post=post, by=ctx["officer"])
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    for _ in range(4):  # each tick releases the next part of each chain
        with django_capture_on_commit_callbacks(execute=False):
            queued = services.tick().queued
        for pk in queued:
            assert services.publication_send(publication_id=pk) == PublicationState.PUBLISHED

    masto = list(Publication.objects.filter(post=post, account=ctx["mastodon"]).order_by("part"))
    bsky = list(Publication.objects.filter(post=post, account=ctx["bluesky"]).order_by("part"))
    assert [p.state for p in masto + bsky] == [PublicationState.PUBLISHED] * 6

    api = mastodon_peer.client(ctx["token"])
    statuses = [api.status(p.remote_id) for p in masto]
    assert [s["in_reply_to_id"] for s in statuses] == [None, masto[0].remote_id, masto[1].remote_id]
    assert [s["visibility"] for s in statuses] == ["public", "unlisted", "unlisted"]
    assert "SICOM ^JD" in statuses[2]["content"]
    assert "SICOM" not in statuses[0]["content"] and "SICOM" not in statuses[1]["content"]

    client = bluesky_peer.client(ctx["bsky"])
    records = [
        client.com.atproto.repo.get_record(
            {
                "repo": ctx["bsky"].did,
                "collection": "app.bsky.feed.post",
                "rkey": p.remote_id.rsplit("/", 1)[-1],
            }
        )
        for p in bsky
    ]
    assert records[0].value.reply is None
    for index in (1, 2):
        reply = records[index].value.reply
        assert (reply.root.uri, reply.root.cid) == (bsky[0].remote_id, records[0].cid)
        assert (reply.parent.uri, reply.parent.cid) == (
            bsky[index - 1].remote_id,
            records[index - 1].cid,
        )
    assert records[2].value.text.endswith("— SICOM ^JD")

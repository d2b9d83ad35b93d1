"""The byline links to the post's public page ("Qui publie ici ?"): through the outbox to the
real peers, the Mastodon status carries the address and the Bluesky record makes it a link
facet (Bluesky does not parse text: without the facet the address would not be clickable)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from editorial import services as editorial
from publishing import services
from publishing.models import Publication, PublicationState
from tests.integration.test_publishing_network_options import _connect

pytestmark = pytest.mark.django_db

SITE = "https://porte-voix.example.gouv.fr"


def test_byline_url_is_the_posts_public_page_on_both_networks(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.SITE_URL = SITE
    ctx = _connect(bluesky_peer, mastodon_peer)
    for account in (ctx["mastodon"], ctx["bluesky"]):
        account.byline_template = "— {unit} ^{initials} · {url}"
        account.save(update_fields=["byline_template"])
    post = editorial.post_create(
        by=ctx["officer"],
        accounts=[ctx["mastodon"], ctx["bluesky"]],
        text="La médiathèque rouvre samedi à 10 h.",
        language="fr",
    )
    assert editorial.post_submit(post=post, by=ctx["officer"]).ok
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.tick().queued
    for pk in queued:
        assert services.publication_send(publication_id=pk) == PublicationState.PUBLISHED

    url = f"{SITE}/public/p/{post.pk}/"
    masto = Publication.objects.get(post=post, account=ctx["mastodon"])
    bsky = Publication.objects.get(post=post, account=ctx["bluesky"])
    assert masto.byline == bsky.byline == f"— SICOM ^JD · {url}"

    status = mastodon_peer.client(ctx["token"]).status(masto.remote_id)
    assert url in status["content"]

    record = (
        bluesky_peer.client(ctx["bsky"])
        .com.atproto.repo.get_record(
            {
                "repo": ctx["bsky"].did,
                "collection": "app.bsky.feed.post",
                "rkey": bsky.remote_id.rsplit("/", 1)[-1],
            }
        )
        .value
    )
    assert record.text.endswith(url)
    encoded = record.text.encode()
    links = [
        (facet.features[0].uri, encoded[facet.index.byte_start : facet.index.byte_end].decode())
        for facet in record.facets or []
        if facet.features[0].py_type == "app.bsky.richtext.facet#link"
    ]
    assert links == [(url, url)]

    # The address answers: the post's public page, signed by the initials, without login.
    page = Client().get(f"/public/p/{post.pk}/")
    assert page.status_code == 200
    assert masto.remote_url in page.content.decode()

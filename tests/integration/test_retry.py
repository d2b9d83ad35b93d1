"""No double post: the same publication sent twice yields one remote post on each network."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from mastodon import Mastodon

from editorial import services as editorial
from editorial.models import PostState
from publishing import services
from publishing.models import Publication, PublicationState
from tests.integration.test_end_to_end import _connect

pytestmark = pytest.mark.django_db


def test_retry_same_publication_twice_makes_one_remote_post(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    post = editorial.post_create(
        by=ctx["officer"],
        accounts=[ctx["mastodon"], ctx["bluesky"]],
        text="Un seul message, quoi qu'il arrive.",
        language="fr",
    )
    editorial.post_submit(post=post, by=ctx["officer"])
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.tick().queued
    assert len(queued) == 2
    first: dict[str, str] = {}
    for pk in queued:
        assert services.publication_send(publication_id=pk) == PublicationState.PUBLISHED
        first[str(pk)] = Publication.objects.get(pk=pk).remote_id

    # The worker crashed after the network accepted the post but before the row was updated:
    # the sweeper hands the same publication to a worker again.
    Publication.objects.filter(pk__in=queued).update(
        state=PublicationState.QUEUED, remote_id="", remote_url=""
    )
    for pk in queued:
        assert services.publication_send(publication_id=pk) == PublicationState.PUBLISHED
        assert Publication.objects.get(pk=pk).remote_id == first[str(pk)]

    client = bluesky_peer.client(ctx["bsky"])
    records = client.com.atproto.repo.list_records(
        {"repo": ctx["bsky"].did, "collection": "app.bsky.feed.post"}
    ).records
    assert len(records) == 1

    api = Mastodon(access_token=ctx["token"], api_base_url=mastodon_peer.url)
    me = api.account_verify_credentials()
    assert len(api.account_statuses(me["id"])) == 1


def test_unreachable_server_fails_visibly_after_last_attempt(
    org: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from peers import free_port

    settings.PUBLISH_MAX_ATTEMPTS = 2
    org.mastodon.server_url = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    org.mastodon.save()
    post = editorial.post_create(by=org.officer, accounts=[org.mastodon], text="Bonjour.")
    editorial.post_submit(post=post, by=org.officer)
    editorial.post_approve(post=post, by=org.manager)
    editorial.post_schedule(post=post, by=org.manager)
    with django_capture_on_commit_callbacks(execute=False):
        (pk,) = services.tick().queued
    assert services.publication_send(publication_id=pk) == PublicationState.PENDING
    Publication.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        assert services.tick().queued == [pk]
    assert services.publication_send(publication_id=pk) == PublicationState.FAILED
    post.refresh_from_db()
    assert post.state == PostState.FAILED
    assert "127.0.0.1" in post.last_error or "connect" in post.last_error.lower()
    assert Publication.objects.get(pk=pk).attempts == 2

"""Against the real peers: a post the charter holds at its claim reaches no network; once the
reason is gone and a publisher schedules it again, it goes out exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from charter.models import ElectionWindow
from editorial import services as editorial
from editorial.models import PostState
from publishing import services
from publishing.models import Publication, PublicationState
from tests.integration.test_adapters import list_records, mastodon_status_count
from tests.integration.test_publishing_network_options import _connect

pytestmark = pytest.mark.django_db


def test_post_held_in_the_silence_reaches_no_network_then_goes_once_scheduled_again(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    post = editorial.post_create(
        by=ctx["officer"],
        accounts=[ctx["mastodon"], ctx["bluesky"]],
        text="Le guichet unique ouvre lundi à neuf heures.",
    )
    editorial.post_submit(post=post, by=ctx["officer"])
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    # Then an election whose vote is tomorrow is recorded behind the re-check of the
    # declaration: today is inside its silence however it is counted. Only the claim sees it.
    ElectionWindow.objects.create(
        name="Référendum local",
        kind="referendum",
        unit=None,
        first_round=timezone.localdate() + timedelta(days=1),
    )

    with django_capture_on_commit_callbacks(execute=False):
        result = services.tick()

    assert result.started_posts == 0 and result.queued == []
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert "electoral silence" in post.hold_reason
    assert not Publication.objects.filter(post=post).exists()
    assert mastodon_status_count(mastodon_peer, ctx["token"]) == 0
    assert list_records(bluesky_peer, ctx["bsky"]) == []

    # The vote is cancelled; a publisher schedules the post again, which re-checks it.
    ElectionWindow.objects.all().delete()
    editorial.post_schedule(post=post, by=ctx["manager"])
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.tick().queued
    assert len(queued) == 2
    for publication_id in queued:
        assert services.publication_send(publication_id=publication_id) == (
            PublicationState.PUBLISHED
        )
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert mastodon_status_count(mastodon_peer, ctx["token"]) == 1
    assert len(list_records(bluesky_peer, ctx["bsky"])) == 1

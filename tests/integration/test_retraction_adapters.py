"""Deleting published posts on the real peers: gone afterwards, and a second delete is fine."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from mastodon.errors import MastodonNotFoundError

from publishing.adapters.base import OutgoingPost, PublishError
from tests.integration.test_adapters import (  # noqa: F401 (fixtures)
    bluesky,
    bluesky_credentials,
    list_records,
    mastodon,
    mastodon_credentials,
    session_log,
)

if TYPE_CHECKING:
    from peers.mastodon import MastodonPeer
    from peers.pds import BlueskyPeer, BlueskyTestAccount
    from publishing.adapters.base import Credentials
    from publishing.adapters.bluesky import BlueskyAdapter
    from publishing.adapters.mastodon import MastodonAdapter


def test_mastodon_delete_removes_the_status_and_repeats_quietly(
    mastodon: MastodonAdapter,  # noqa: F811
    mastodon_credentials: Credentials,  # noqa: F811
    mastodon_peer: MastodonPeer,
    mastodon_token: str,
) -> None:
    post = OutgoingPost(text="Message publié par erreur.", language="fr")
    payload = mastodon.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))
    ref = mastodon.publish(mastodon_credentials, payload, post)

    mastodon.delete(mastodon_credentials, ref.remote_id)
    mastodon.delete(mastodon_credentials, ref.remote_id)  # a redelivered task: no error

    with pytest.raises(MastodonNotFoundError):
        mastodon_peer.status(mastodon_token, ref.remote_id)


def test_mastodon_delete_with_revoked_token_is_permanent(
    mastodon: MastodonAdapter,  # noqa: F811
    mastodon_credentials: Credentials,  # noqa: F811
) -> None:
    post = OutgoingPost(text="À retirer.", language="fr")
    payload = mastodon.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))
    ref = mastodon.publish(mastodon_credentials, payload, post)
    wrong = type(mastodon_credentials)(
        server_url=mastodon_credentials.server_url, handle="officiel", secret="not-a-token"
    )

    with pytest.raises(PublishError) as info:
        mastodon.delete(wrong, ref.remote_id)

    assert info.value.permanent


def test_bluesky_delete_removes_the_record_and_repeats_quietly(
    bluesky: BlueskyAdapter,  # noqa: F811
    bluesky_credentials: Credentials,  # noqa: F811
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
) -> None:
    keep = OutgoingPost(text="Celui-ci reste.", language="fr")
    kept = bluesky.publish(
        bluesky_credentials,
        bluesky.prepare(bluesky_credentials, keep, idempotency_key=str(uuid.uuid4())),
        keep,
    )
    post = OutgoingPost(text="Message publié par erreur.", language="fr")
    payload = bluesky.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))
    ref = bluesky.publish(bluesky_credentials, payload, post)

    bluesky.delete(bluesky_credentials, ref.remote_id)
    bluesky.delete(bluesky_credentials, ref.remote_id)

    remaining = [r.uri for r in list_records(bluesky_peer, bluesky_account)]
    assert remaining == [kept.remote_id]


def test_bluesky_delete_refuses_another_repository(
    bluesky: BlueskyAdapter,  # noqa: F811
    bluesky_credentials: Credentials,  # noqa: F811
) -> None:
    with pytest.raises(PublishError) as info:
        bluesky.delete(bluesky_credentials, "at://did:plc:someoneelse/app.bsky.feed.post/3kabc")

    assert info.value.permanent
    assert "another repository" in info.value.message

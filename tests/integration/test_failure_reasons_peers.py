"""The reason code of a failure as the real peers cause it (adapters, over HTTP)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from peers.mastodon import MastodonPeer
from peers.pds import BlueskyPeer, BlueskyTestAccount
from publishing.adapters import get_adapter
from publishing.adapters.base import Credentials, MediaItem, OutgoingPost, PublishError, Reason
from publishing.adapters.bluesky import BlueskyAdapter
from publishing.adapters.mastodon import MastodonAdapter
from tests.integration.test_adapters import png

TIMEOUT = 10.0


@pytest.fixture
def mastodon() -> MastodonAdapter:
    adapter = get_adapter("mastodon", timeout=TIMEOUT, allow_http=True)
    assert isinstance(adapter, MastodonAdapter)
    return adapter


@pytest.fixture
def mastodon_faults(mastodon_peer: MastodonPeer) -> Iterator[MastodonPeer]:
    """The peer, with its fault rules cleared afterwards even if the test failed early."""
    yield mastodon_peer
    mastodon_peer.clear_faults()


@pytest.fixture
def mastodon_credentials(mastodon_peer: MastodonPeer, mastodon_token: str) -> Credentials:
    return Credentials(server_url=mastodon_peer.url, handle="officiel", secret=mastodon_token)


@pytest.fixture
def bluesky() -> BlueskyAdapter:
    adapter = get_adapter(
        "bluesky", timeout=TIMEOUT, allow_http=True, on_session_change=lambda session: None
    )
    assert isinstance(adapter, BlueskyAdapter)
    return adapter


@pytest.fixture
def bluesky_credentials(
    bluesky_peer: BlueskyPeer, bluesky_account: BlueskyTestAccount
) -> Credentials:
    return Credentials(
        server_url=bluesky_peer.url,
        handle=bluesky_account.handle,
        secret=bluesky_account.app_password,
    )


def _refusal(adapter: Any, credentials: Any, post: OutgoingPost) -> PublishError:
    payload = adapter.prepare(credentials, post, idempotency_key=str(uuid.uuid4()))
    with pytest.raises(PublishError) as info:
        adapter.publish(credentials, payload, post)
    return info.value


def test_failure_reason_mastodon_text_over_the_limit_is_too_long_with_the_limit(
    mastodon: MastodonAdapter, mastodon_credentials: Any
) -> None:
    error = _refusal(mastodon, mastodon_credentials, OutgoingPost(text="a" * 501, language="fr"))
    assert (error.reason_code, error.params) == (Reason.TOO_LONG, {"limit": 500})


def test_failure_reason_mastodon_upload_refused_is_media_refused(
    mastodon: MastodonAdapter, mastodon_credentials: Any, mastodon_faults: MastodonPeer
) -> None:
    mastodon_faults.add_fault(
        {
            "match": {"path": "/api/v2/media", "methods": ["POST"]},
            "effect": {
                "type": "status",
                "status": 422,
                "body": {"error": "Validation failed: File content type is invalid"},
            },
            "count": 1,
        }
    )
    image = MediaItem(data=png(1, 2, 3), mime_type="image/png", alt_text="Un carré.")
    post = OutgoingPost(text="Avec image.", language="fr", media=(image,))
    assert _refusal(mastodon, mastodon_credentials, post).reason_code == Reason.MEDIA_REFUSED


def test_failure_reason_mastodon_server_error_is_unavailable(
    mastodon: MastodonAdapter, mastodon_credentials: Any, mastodon_faults: MastodonPeer
) -> None:
    mastodon_faults.add_fault(
        {
            "match": {"path": "/api/v1/statuses", "methods": ["POST"]},
            "effect": {"type": "status", "status": 503},
            "count": 1,
        }
    )
    post = OutgoingPost(text="Panne.", language="fr")
    assert _refusal(mastodon, mastodon_credentials, post).reason_code == Reason.UNAVAILABLE


def test_failure_reason_bluesky_text_over_300_graphemes_is_too_long(
    bluesky: BlueskyAdapter, bluesky_credentials: Any
) -> None:
    error = _refusal(bluesky, bluesky_credentials, OutgoingPost(text="é" * 301, language="fr"))
    assert (error.reason_code, error.params) == (Reason.TOO_LONG, {"limit": 300})

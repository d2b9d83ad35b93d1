"""Real protocol peers for the integration tests, one of each per test session.

A peer that cannot start fails the tests that need it, loudly, with the server's output:
these tests are never skipped, in CI or anywhere else.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import pytest

from peers.mastodon import MastodonPeer
from peers.pds import BlueskyPeer, BlueskyTestAccount
from tests.integration.peer_fixtures import serving

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def bluesky_peer() -> Iterator[BlueskyPeer]:
    yield from serving(BlueskyPeer(), "the Bluesky peer (PDS)")


@pytest.fixture(scope="session")
def mastodon_peer() -> Iterator[MastodonPeer]:
    yield from serving(MastodonPeer(), "the Mastodon peer (mastodon-mock)")


@pytest.fixture
def bluesky_account(bluesky_peer: BlueskyPeer) -> BlueskyTestAccount:
    """A fresh account on the session's PDS (handles are unique per call)."""
    return bluesky_peer.create_account("pv")


@pytest.fixture
def mastodon_token(mastodon_peer: MastodonPeer) -> str:
    """A user token for a fresh account on the session's Mastodon peer."""
    return mastodon_peer.create_token(f"pv_{secrets.token_hex(4)}")

"""Start a peer for a fixture; one that cannot start fails the test loudly, never skips it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Peer(Protocol):
    def start(self) -> object: ...
    def stop(self) -> None: ...


P = TypeVar("P", bound=_Peer)


def serving(peer: P, what: str) -> Iterator[P]:
    """Yield ``peer`` started, and stop it afterwards (also when it failed half-way)."""
    try:
        peer.start()
    except Exception as exc:
        peer.stop()
        pytest.fail(f"{what} could not start: {exc}", pytrace=False)
    try:
        yield peer
    finally:
        peer.stop()

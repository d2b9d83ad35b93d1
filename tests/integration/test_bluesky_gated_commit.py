"""A Bluesky post with a reply gate: the post and its threadgate in one ``applyWrites`` commit,
against the real PDS behind a fault-injecting proxy (the PDS's public port is the proxy's:
the SDK sends every call to the DID document's endpoint after logging in).

What the PDS answers, measured here and relied on by the adapter: a repeated ``create`` of
the same key fails the whole commit with HTTP 500 and writes nothing; ``update`` has no
``swapRecord`` and overwrites different content, so it is never used for a first write."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from peers import free_port
from peers.pds import BlueskyPeer
from peers.proxy import Fault, FaultProxy
from publishing.adapters.base import Credentials, OutgoingPost, PreparedPayload, PublishError
from publishing.adapters.bluesky import BlueskyAdapter
from publishing.adapters.bluesky.records import iso_millis, new_tid

if TYPE_CHECKING:
    from collections.abc import Iterator

    from peers.pds import BlueskyTestAccount

TIMEOUT = 5.0
APPLY_WRITES = "/xrpc/com.atproto.repo.applyWrites"
PUT_RECORD = "/xrpc/com.atproto.repo.putRecord"
POST = "app.bsky.feed.post"
GATE = "app.bsky.feed.threadgate"


@pytest.fixture(scope="module")
def proxied_pds() -> Iterator[tuple[BlueskyPeer, FaultProxy]]:
    listen = free_port()
    with (
        FaultProxy(f"http://127.0.0.1:{listen}", seed=6) as proxy,
        BlueskyPeer(port=proxy.port, listen_port=listen) as peer,
    ):
        yield peer, proxy


@pytest.fixture
def peer(proxied_pds: tuple[BlueskyPeer, FaultProxy]) -> Iterator[BlueskyPeer]:
    yield proxied_pds[0]
    proxied_pds[1].clear()


@pytest.fixture
def proxy(proxied_pds: tuple[BlueskyPeer, FaultProxy]) -> FaultProxy:
    return proxied_pds[1]


@pytest.fixture
def account(peer: BlueskyPeer) -> BlueskyTestAccount:
    return peer.create_account("gate")


@pytest.fixture
def credentials(peer: BlueskyPeer, account: BlueskyTestAccount) -> Credentials:
    return Credentials(server_url=peer.url, handle=account.handle, secret=account.app_password)


def _records(peer: BlueskyPeer, account: BlueskyTestAccount, collection: str) -> list[Any]:
    answer = httpx.get(
        f"{peer.direct_url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": account.did, "collection": collection},
        timeout=TIMEOUT,
    )
    answer.raise_for_status()
    records: list[Any] = answer.json()["records"]
    return records


def _gated(credentials: Credentials) -> tuple[BlueskyAdapter, OutgoingPost, PreparedPayload]:
    adapter = BlueskyAdapter(timeout=TIMEOUT, allow_http=True)
    post = OutgoingPost(text="Personne ne répond à ce post.", language="fr", reply_gate="nobody")
    return adapter, post, adapter.prepare(credentials, post, idempotency_key=str(uuid.uuid4()))


def test_bluesky_gated_post_is_one_apply_writes_call(
    peer: BlueskyPeer,
    proxy: FaultProxy,
    account: BlueskyTestAccount,
    credentials: Credentials,
) -> None:
    # Pass-through rules that only count the write requests.
    commits = proxy.add_rule(Fault.delay(0), path=APPLY_WRITES)
    puts = proxy.add_rule(Fault.delay(0), path=PUT_RECORD)
    adapter, post, payload = _gated(credentials)

    ref = adapter.publish(credentials, payload, post)

    assert (commits.applied, puts.applied) == (1, 0)
    (gate,) = _records(peer, account, GATE)
    assert gate["uri"].endswith(f"/{payload.data['rkey']}")
    assert gate["value"]["post"] == ref.remote_id
    assert [r["uri"] for r in _records(peer, account, POST)] == [ref.remote_id]


def test_bluesky_gated_post_refused_commit_leaves_neither_record(
    peer: BlueskyPeer,
    proxy: FaultProxy,
    account: BlueskyTestAccount,
    credentials: Credentials,
) -> None:
    """The failure that used to leave a post public without its gate: nothing is written."""
    proxy.add_rule(Fault.error(503), path=APPLY_WRITES, count=1)
    adapter, post, payload = _gated(credentials)

    with pytest.raises(PublishError) as info:
        adapter.publish(credentials, payload, post)

    assert not info.value.permanent
    assert _records(peer, account, POST) == []
    assert _records(peer, account, GATE) == []


def test_bluesky_gated_post_repeat_after_dropped_answer_gives_one_post_and_one_gate(
    peer: BlueskyPeer,
    proxy: FaultProxy,
    account: BlueskyTestAccount,
    credentials: Credentials,
) -> None:
    proxy.add_rule(Fault.dropped(), path=APPLY_WRITES, count=1)
    adapter, post, payload = _gated(credentials)

    # Committed, answer lost: the adapter reads both keys back and finds its records.
    first = adapter.publish(credentials, payload, post)
    # A full repeat (a redelivered task): the create fails the commit, read back again.
    again = adapter.publish(credentials, payload, post)

    assert proxy.injected["dropped"] == 1
    assert first == again
    assert again.remote_id == f"at://{account.did}/{POST}/{payload.data['rkey']}"
    assert len(_records(peer, account, POST)) == 1
    assert len(_records(peer, account, GATE)) == 1


def test_bluesky_gated_post_unknown_when_read_back_fails_then_lookup_finds_both(
    peer: BlueskyPeer,
    proxy: FaultProxy,
    account: BlueskyTestAccount,
    credentials: Credentials,
) -> None:
    """Answer lost and the read-back refused: the outcome stays unknown; the outbox's next
    attempt looks up first and sends nothing."""
    proxy.add_rule(Fault.dropped(), path=APPLY_WRITES, count=1)
    proxy.add_rule(Fault.error(503), path="/xrpc/com.atproto.repo.getRecord", count=1)
    adapter, post, payload = _gated(credentials)
    with pytest.raises(PublishError) as info:
        adapter.publish(credentials, payload, post)
    assert info.value.maybe_sent and not info.value.permanent
    commits = proxy.add_rule(Fault.delay(0), path=APPLY_WRITES)

    found = adapter.lookup(credentials, payload)

    assert found is not None and found.remote_id.endswith(payload.data["rkey"])
    assert commits.applied == 0
    assert len(_records(peer, account, POST)) == 1
    assert len(_records(peer, account, GATE)) == 1


def _apply_writes(
    peer: BlueskyPeer, account: BlueskyTestAccount, kind: str, writes: list[tuple[str, str, Any]]
) -> httpx.Response:
    session = httpx.post(
        f"{peer.direct_url}/xrpc/com.atproto.server.createSession",
        json={"identifier": account.handle, "password": account.app_password},
        timeout=TIMEOUT,
    ).json()
    token = session["accessJwt"]
    return httpx.post(
        f"{peer.direct_url}/xrpc/com.atproto.repo.applyWrites",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        content=json.dumps(
            {
                "repo": account.did,
                "writes": [
                    {
                        "$type": f"com.atproto.repo.applyWrites#{kind}",
                        "collection": collection,
                        "rkey": rkey,
                        "value": value,
                    }
                    for collection, rkey, value in writes
                ],
            }
        ),
        timeout=TIMEOUT,
    )


def test_bluesky_peer_repeated_create_fails_the_commit_and_update_overwrites(
    peer: BlueskyPeer, account: BlueskyTestAccount
) -> None:
    """Why a repeat is read back rather than sent as ``update``."""
    rkey, micros = new_tid()
    record = {"$type": POST, "text": "Une fois", "langs": ["fr"], "createdAt": iso_millis(micros)}
    gate = {
        "$type": GATE,
        "post": f"at://{account.did}/{POST}/{rkey}",
        "allow": [],
        "createdAt": iso_millis(micros),
    }
    writes = [(POST, rkey, record), (GATE, rkey, gate)]
    assert _apply_writes(peer, account, "create", writes).status_code == 200

    repeat = _apply_writes(peer, account, "create", writes)
    changed = _apply_writes(peer, account, "update", [(POST, rkey, {**record, "text": "Autre"})])

    assert repeat.status_code == 500
    assert changed.status_code == 200
    (post,) = _records(peer, account, POST)
    assert post["value"]["text"] == "Autre"
    assert len(_records(peer, account, GATE)) == 1

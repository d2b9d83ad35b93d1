"""Smoke tests of the peers themselves: they speak the protocols the adapters rely on."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import TYPE_CHECKING

import psycopg
import redis

from peers.services import PostgresServer, RedisServer

if TYPE_CHECKING:
    from peers.mastodon import MastodonPeer
    from peers.pds import BlueskyPeer, BlueskyTestAccount

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def _tid() -> str:
    """A record key in the TID format: microseconds since the epoch and a clock id."""
    value = (time.time_ns() // 1000) << 10 | secrets.randbelow(1024)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _put_post(
    peer: BlueskyPeer, account: BlueskyTestAccount, rkey: str, record: dict[str, object]
) -> dict[str, str]:
    # Raw JSON: the SDK drops None fields, and "swapRecord": null is the point here.
    body = {
        "repo": account.did,
        "collection": "app.bsky.feed.post",
        "rkey": rkey,
        "record": record,
        "swapRecord": None,
    }
    response = peer.client(account).invoke_procedure(
        "com.atproto.repo.putRecord",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert isinstance(response.content, dict)
    return {"uri": str(response.content["uri"]), "cid": str(response.content["cid"])}


def _post_record(text: str) -> dict[str, object]:
    return {
        "$type": "app.bsky.feed.post",
        "text": text,
        "langs": ["fr"],
        "createdAt": "2026-01-02T03:04:05.000Z",
    }


def test_bluesky_peer_put_record_reads_back(
    bluesky_peer: BlueskyPeer, bluesky_account: BlueskyTestAccount
) -> None:
    rkey = _tid()

    put = _put_post(bluesky_peer, bluesky_account, rkey, _post_record("Bonjour le monde"))

    got = bluesky_peer.client(bluesky_account).com.atproto.repo.get_record(
        {"repo": bluesky_account.did, "collection": "app.bsky.feed.post", "rkey": rkey}
    )
    assert put["uri"] == f"at://{bluesky_account.did}/app.bsky.feed.post/{rkey}"
    assert got.cid == put["cid"]
    assert got.value.text == "Bonjour le monde"


def test_bluesky_peer_repeated_identical_put_is_a_no_op(
    bluesky_peer: BlueskyPeer, bluesky_account: BlueskyTestAccount
) -> None:
    rkey = _tid()
    record = _post_record("Une seule fois")

    first = _put_post(bluesky_peer, bluesky_account, rkey, record)
    second = _put_post(bluesky_peer, bluesky_account, rkey, record)

    assert second == first


def test_mastodon_peer_idempotency_key_makes_one_status(
    mastodon_peer: MastodonPeer, mastodon_token: str
) -> None:
    client = mastodon_peer.client(mastodon_token)
    key = str(uuid.uuid4())

    first = client.status_post("Bonjour", idempotency_key=key, language="fr")
    second = client.status_post("Bonjour", idempotency_key=key, language="fr")

    assert second["id"] == first["id"]
    assert mastodon_peer.status(mastodon_token, first["id"])["language"] == "fr"
    me = client.account_verify_credentials()
    assert len(client.account_statuses(me["id"])) == 1


def test_postgres_server_serves_its_database() -> None:
    with PostgresServer(database="smoke") as server, psycopg.connect(server.url) as conn:
        row = conn.execute("SELECT current_database(), current_user").fetchone()

    assert row == ("smoke", "postgres")


def test_redis_server_restart_keeps_persistent_data() -> None:
    with RedisServer(persistent=True) as server:
        redis.Redis.from_url(server.url).set("key", "value")

        server.restart()

        assert redis.Redis.from_url(server.url).get("key") == b"value"

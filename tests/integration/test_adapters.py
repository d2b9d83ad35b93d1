"""The adapters against real peers on loopback: the reference PDS and mastodon-mock.

Every behaviour the outbox builds on is checked here on the wire: what a repeat does, which
failures are permanent, that a stored Bluesky session spares the password.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import time
import uuid
import zlib
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from atproto_client import Session  # type: ignore[import-untyped]

from publishing.adapters import get_adapter
from publishing.adapters.base import (
    Credentials,
    MediaItem,
    OutgoingPost,
    PreparedPayload,
    PublishError,
)
from publishing.adapters.bluesky import BlueskyAdapter
from publishing.adapters.bluesky.images import blob_cid
from publishing.adapters.mastodon import MastodonAdapter

if TYPE_CHECKING:
    from collections.abc import Iterator

    from peers.mastodon import MastodonPeer
    from peers.pds import BlueskyPeer, BlueskyTestAccount

TIMEOUT = 5.0


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connection refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def png(red: int, green: int, blue: int) -> bytes:
    """A valid 1x1 PNG of one colour: servers sniff the type from the bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(bytes([0, red, green, blue]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# --- Mastodon ----------------------------------------------------------------------------


@pytest.fixture
def mastodon(mastodon_peer: MastodonPeer) -> MastodonAdapter:
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


def mastodon_status_count(peer: MastodonPeer, token: str) -> int:
    client = peer.client(token)
    return len(client.account_statuses(client.account_verify_credentials()["id"]))


def test_mastodon_publish_status_readable_with_text_and_language(
    mastodon: MastodonAdapter,
    mastodon_credentials: Credentials,
    mastodon_peer: MastodonPeer,
    mastodon_token: str,
) -> None:
    post = OutgoingPost(text="Journée portes ouvertes samedi — #JPO", language="fr")
    payload = mastodon.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))

    ref = mastodon.publish(mastodon_credentials, payload, post)

    status = mastodon_peer.status(mastodon_token, ref.remote_id)
    assert "Journée portes ouvertes samedi" in status["content"]
    assert status["language"] == "fr"
    assert status["visibility"] == "public"
    # The peer has no status page: the link is the status from its API, and it opens.
    assert ref.url == f"{mastodon_peer.url}/api/v1/statuses/{ref.remote_id}"
    opened = httpx.get(ref.url, timeout=10)
    assert opened.status_code == 200
    assert opened.json()["id"] == ref.remote_id


def test_mastodon_same_payload_twice_makes_one_status(
    mastodon: MastodonAdapter,
    mastodon_credentials: Credentials,
    mastodon_peer: MastodonPeer,
    mastodon_token: str,
) -> None:
    post = OutgoingPost(text="Une seule fois.", language="fr")
    payload = mastodon.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))

    first = mastodon.publish(mastodon_credentials, payload, post)
    second = mastodon.publish(mastodon_credentials, payload, post)

    assert second == first
    assert mastodon_status_count(mastodon_peer, mastodon_token) == 1


def test_mastodon_publish_with_image_and_alt_text(
    mastodon: MastodonAdapter,
    mastodon_credentials: Credentials,
    mastodon_peer: MastodonPeer,
    mastodon_token: str,
) -> None:
    image = MediaItem(data=png(0, 0, 145), mime_type="image/png", alt_text="Logo bleu")
    post = OutgoingPost(text="Notre nouveau logo.", language="fr", media=(image,))
    payload = mastodon.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))

    ref = mastodon.publish(mastodon_credentials, payload, post)

    attachments = mastodon_peer.status(mastodon_token, ref.remote_id)["media_attachments"]
    assert [(a["type"], a["description"]) for a in attachments] == [("image", "Logo bleu")]


def test_mastodon_over_long_text_is_permanent_422(
    mastodon: MastodonAdapter, mastodon_credentials: Credentials
) -> None:
    post = OutgoingPost(text="é" * 501, language="fr")
    payload = mastodon.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))

    with pytest.raises(PublishError) as info:
        mastodon.publish(mastodon_credentials, payload, post)

    assert info.value.permanent
    assert "422" in info.value.message


def test_mastodon_revoked_token_is_permanent(
    mastodon: MastodonAdapter, mastodon_peer: MastodonPeer
) -> None:
    credentials = Credentials(server_url=mastodon_peer.url, handle="x", secret="not-a-token")
    post = OutgoingPost(text="Bonjour", language="fr")
    payload = mastodon.prepare(credentials, post, idempotency_key=str(uuid.uuid4()))

    with pytest.raises(PublishError) as info:
        mastodon.publish(credentials, payload, post)

    assert info.value.permanent
    assert info.value.needs_reconnection
    assert "401" in info.value.message
    assert "reconnect the account" in info.value.message


def test_mastodon_server_error_is_transient_then_retry_makes_one_status(
    mastodon: MastodonAdapter,
    mastodon_credentials: Credentials,
    mastodon_faults: MastodonPeer,
    mastodon_token: str,
) -> None:
    post = OutgoingPost(text="Après la panne.", language="fr")
    payload = mastodon.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))
    mastodon_faults.add_fault(
        {
            "match": {"path": "/api/v1/statuses", "methods": ["POST"]},
            "effect": {"type": "status", "status": 503},
            "count": 1,
        }
    )

    with pytest.raises(PublishError) as info:
        mastodon.publish(mastodon_credentials, payload, post)
    assert not info.value.permanent

    mastodon.publish(mastodon_credentials, payload, post)
    assert mastodon_status_count(mastodon_faults, mastodon_token) == 1


def test_mastodon_rate_limit_is_transient_with_retry_after(
    mastodon: MastodonAdapter,
    mastodon_credentials: Credentials,
    mastodon_faults: MastodonPeer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    post = OutgoingPost(text="Trop vite.", language="fr")
    payload = mastodon.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))
    mastodon_faults.add_fault(
        {
            "match": {"path": "/api/v1/statuses", "methods": ["POST"]},
            "effect": {"type": "ratelimit"},  # 429, X-RateLimit-Reset = now + 300 s
            "count": 1,
        }
    )

    # Thrown, not slept on: Mastodon.py's other rate-limit modes sleep until the reset (up to
    # 300 s) inside time.sleep. Watched rather than timed, so a busy machine cannot fail it.
    slept: list[float] = []
    real_sleep = time.sleep

    def watched_sleep(seconds: float) -> None:
        slept.append(seconds)
        real_sleep(seconds)

    with monkeypatch.context() as patched, pytest.raises(PublishError) as info:
        patched.setattr(time, "sleep", watched_sleep)
        mastodon.publish(mastodon_credentials, payload, post)

    assert slept == []
    assert not info.value.permanent
    assert info.value.retry_after is not None
    assert 250 < info.value.retry_after <= 301


def test_mastodon_slow_server_times_out_as_transient(
    mastodon_credentials: Credentials, mastodon_faults: MastodonPeer
) -> None:
    adapter = MastodonAdapter(timeout=0.5, allow_http=True)
    post = OutgoingPost(text="Lent.", language="fr")
    payload = adapter.prepare(mastodon_credentials, post, idempotency_key=str(uuid.uuid4()))
    mastodon_faults.add_fault(
        {
            "match": {"path": "/api/v1/statuses", "methods": ["POST"]},
            "effect": {"type": "latency", "delay_ms": 2000},
            "count": 1,
        }
    )

    # The 0.5 s timeout gave up before the server's 2 s answer (waiting would have returned
    # the status, and no error): a transient failure whose outcome is unknown, since the
    # server got the request. What happened, not how fast on this machine.
    with pytest.raises(PublishError) as info:
        adapter.publish(mastodon_credentials, payload, post)

    assert not info.value.permanent
    assert info.value.maybe_sent


def test_mastodon_unreachable_server_is_transient(mastodon: MastodonAdapter) -> None:
    credentials = Credentials(server_url=closed_port_url(), handle="x", secret="t")
    with pytest.raises(PublishError) as info:
        mastodon.verify(credentials)
    assert not info.value.permanent


def test_mastodon_fetch_limits_and_verify(
    mastodon: MastodonAdapter, mastodon_credentials: Credentials, mastodon_peer: MastodonPeer
) -> None:
    assert mastodon.fetch_limits(mastodon_credentials) == (500, 23)
    me = mastodon_peer.client(mastodon_credentials.secret).account_verify_credentials()
    assert mastodon.verify(mastodon_credentials) == me["acct"]


def test_mastodon_refuses_clear_text_server_in_production_mode(
    mastodon_credentials: Credentials,
) -> None:
    adapter = get_adapter("mastodon", timeout=TIMEOUT, allow_http=False)
    with pytest.raises(PublishError) as info:
        adapter.verify(mastodon_credentials)
    assert info.value.permanent


# --- Bluesky -----------------------------------------------------------------------------


class SessionLog:
    """The ``on_session_change`` callback: remembers what the caller would store."""

    def __init__(self) -> None:
        self.sessions: list[str] = []

    def __call__(self, session: str) -> None:
        self.sessions.append(session)


@pytest.fixture
def session_log() -> SessionLog:
    return SessionLog()


@pytest.fixture
def bluesky(session_log: SessionLog) -> BlueskyAdapter:
    adapter = get_adapter(
        "bluesky", timeout=TIMEOUT, allow_http=True, on_session_change=session_log
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


def get_record(peer: BlueskyPeer, account: BlueskyTestAccount, rkey: str) -> Any:
    return peer.client(account).com.atproto.repo.get_record(
        {"repo": account.did, "collection": "app.bsky.feed.post", "rkey": rkey}
    )


def list_records(peer: BlueskyPeer, account: BlueskyTestAccount) -> list[Any]:
    answer = peer.client(account).com.atproto.repo.list_records(
        {"repo": account.did, "collection": "app.bsky.feed.post"}
    )
    return list(answer.records)


def test_bluesky_publish_record_has_text_langs_and_exact_facets(
    bluesky: BlueskyAdapter,
    bluesky_credentials: Credentials,
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
) -> None:
    text = (
        f"🎓 Journée d'étude avec @{bluesky_account.handle} et @personne.test : "
        "https://univ.example/événement#programme. #Éducation"
    )
    post = OutgoingPost(text=text, language="fr")
    payload = bluesky.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    ref = bluesky.publish(bluesky_credentials, payload, post)

    rkey = payload.data["rkey"]
    assert ref.remote_id == f"at://{bluesky_account.did}/app.bsky.feed.post/{rkey}"
    # bsky.app knows nothing of a .test handle on a local PDS: the link is the record there.
    assert ref.url.startswith(f"{bluesky_peer.url}/xrpc/com.atproto.repo.getRecord?")
    opened = httpx.get(ref.url, timeout=10)
    assert opened.status_code == 200
    assert opened.json()["uri"] == ref.remote_id
    assert opened.json()["value"]["text"] == text
    record = get_record(bluesky_peer, bluesky_account, rkey)
    assert record.cid == ref.extra["cid"]
    value = record.value
    assert value.text == text
    assert value.langs == ["fr"]
    assert value.created_at == payload.data["record"]["createdAt"]
    encoded = text.encode("utf-8")
    spans = [
        (encoded[f.index.byte_start : f.index.byte_end].decode("utf-8"), f.features[0].py_type)
        for f in value.facets
    ]
    assert spans == [
        (f"@{bluesky_account.handle}", "app.bsky.richtext.facet#mention"),
        ("https://univ.example/événement#programme", "app.bsky.richtext.facet#link"),
        ("#Éducation", "app.bsky.richtext.facet#tag"),
    ]
    assert value.facets[0].features[0].did == bluesky_account.did


def test_bluesky_same_payload_twice_is_one_record(
    bluesky: BlueskyAdapter,
    bluesky_credentials: Credentials,
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
) -> None:
    post = OutgoingPost(text="Une seule fois.", language="fr")
    payload = bluesky.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    first = bluesky.publish(bluesky_credentials, payload, post)
    second = bluesky.publish(bluesky_credentials, payload, post)

    assert second == first  # same uri and cid
    assert len(list_records(bluesky_peer, bluesky_account)) == 1


def test_bluesky_different_record_at_same_key_is_permanent_invalid_swap(
    bluesky: BlueskyAdapter, bluesky_credentials: Credentials
) -> None:
    post = OutgoingPost(text="Première version.", language="fr")
    payload = bluesky.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))
    bluesky.publish(bluesky_credentials, payload, post)
    other = PreparedPayload(
        data={**payload.data, "record": {**payload.data["record"], "text": "Autre version."}}
    )

    with pytest.raises(PublishError) as info:
        bluesky.publish(bluesky_credentials, other, post)

    assert info.value.permanent
    assert "InvalidSwap" in info.value.message


def test_bluesky_over_long_text_is_permanent(
    bluesky: BlueskyAdapter, bluesky_credentials: Credentials
) -> None:
    post = OutgoingPost(text="é" * 301, language="fr")
    payload = bluesky.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    with pytest.raises(PublishError) as info:
        bluesky.publish(bluesky_credentials, payload, post)

    assert info.value.permanent
    assert "longer than Bluesky allows" in info.value.message


def test_bluesky_publish_with_images_frozen_at_prepare(
    bluesky: BlueskyAdapter,
    bluesky_credentials: Credentials,
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
) -> None:
    images = (
        MediaItem(data=png(0, 0, 145), mime_type="image/png", alt_text="Carré bleu"),
        MediaItem(data=png(225, 0, 15), mime_type="image/png", alt_text="Carré rouge"),
    )
    post = OutgoingPost(text="Deux couleurs.", language="fr", media=images)
    payload = bluesky.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    first = bluesky.publish(bluesky_credentials, payload, post)
    second = bluesky.publish(bluesky_credentials, payload, post)

    assert second == first
    embed = get_record(bluesky_peer, bluesky_account, payload.data["rkey"]).value.embed
    assert [(i.alt, i.image.ref.link) for i in embed.images] == [
        ("Carré bleu", blob_cid(images[0].data)),
        ("Carré rouge", blob_cid(images[1].data)),
    ]


def test_bluesky_image_declared_with_wrong_type_is_permanent(
    bluesky: BlueskyAdapter, bluesky_credentials: Credentials
) -> None:
    image = MediaItem(data=png(0, 145, 0), mime_type="image/jpeg", alt_text="Vert")
    post = OutgoingPost(text="Mauvais type.", language="fr", media=(image,))
    payload = bluesky.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    with pytest.raises(PublishError) as info:
        bluesky.publish(bluesky_credentials, payload, post)

    assert info.value.permanent
    assert "image/png" in info.value.message


def test_bluesky_wrong_app_password_is_permanent(
    bluesky: BlueskyAdapter, bluesky_credentials: Credentials
) -> None:
    wrong = Credentials(
        server_url=bluesky_credentials.server_url,
        handle=bluesky_credentials.handle,
        secret="aaaa-bbbb-cccc-dddd",
    )
    post = OutgoingPost(text="Bonjour", language="fr")
    payload = bluesky.prepare(wrong, post, idempotency_key=str(uuid.uuid4()))

    with pytest.raises(PublishError) as info:
        bluesky.publish(wrong, payload, post)

    assert info.value.permanent
    assert info.value.needs_reconnection
    assert "401" in info.value.message
    assert "new app password" in info.value.message


def test_bluesky_stored_session_spares_the_password(
    bluesky: BlueskyAdapter,
    session_log: SessionLog,
    bluesky_credentials: Credentials,
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
) -> None:
    post = OutgoingPost(text="Premier message.", language="fr")
    bluesky.publish(
        bluesky_credentials,
        bluesky.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4())),
        post,
    )
    assert len(session_log.sessions) == 1  # the login, handed over to be stored
    stored = session_log.sessions[0]
    assert Session.decode(stored).did == bluesky_account.did

    # A wrong password proves the session alone is used.
    with_session = Credentials(
        server_url=bluesky_credentials.server_url,
        handle=bluesky_credentials.handle,
        secret="wrong-password",
        session=stored,
    )
    second = OutgoingPost(text="Deuxième message.", language="fr")
    bluesky.publish(
        with_session,
        bluesky.prepare(with_session, second, idempotency_key=str(uuid.uuid4())),
        second,
    )

    assert len(session_log.sessions) == 1  # nothing new to store
    assert len(list_records(bluesky_peer, bluesky_account)) == 2


def _with_access_jwt(session: str, edit: Any) -> str:
    """The session string with its access JWT rewritten by ``edit(header, payload, sig)``."""
    decoded = Session.decode(session)
    header, payload, signature = decoded.access_jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.access_jwt = ".".join(edit(header, claims, signature))
    return str(decoded.encode())


def _b64(claims: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


def test_bluesky_expiring_session_is_refreshed_and_handed_over(
    bluesky: BlueskyAdapter,
    session_log: SessionLog,
    bluesky_credentials: Credentials,
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
) -> None:
    bluesky.verify(bluesky_credentials)
    # The SDK reads the expiry from the token without checking its signature, and refreshes
    # within 15 minutes of it; the refresh token is genuine.
    expiring = _with_access_jwt(
        session_log.sessions[-1],
        lambda h, claims, s: (h, _b64({**claims, "exp": int(time.time()) + 60}), s),
    )
    credentials = Credentials(
        server_url=bluesky_credentials.server_url,
        handle=bluesky_credentials.handle,
        secret="wrong-password",
        session=expiring,
    )
    post = OutgoingPost(text="Session rafraîchie.", language="fr")

    bluesky.publish(credentials, bluesky.prepare(credentials, post, idempotency_key="k"), post)

    assert len(session_log.sessions) == 2
    assert session_log.sessions[-1] != expiring
    assert len(list_records(bluesky_peer, bluesky_account)) == 1


def test_bluesky_dead_session_falls_back_to_password_once(
    bluesky: BlueskyAdapter,
    session_log: SessionLog,
    bluesky_credentials: Credentials,
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
) -> None:
    bluesky.verify(bluesky_credentials)
    forged = _with_access_jwt(session_log.sessions[-1], lambda h, c, s: (h, _b64(c), s[::-1]))
    credentials = Credentials(
        server_url=bluesky_credentials.server_url,
        handle=bluesky_credentials.handle,
        secret=bluesky_credentials.secret,
        session=forged,
    )
    post = OutgoingPost(text="Session perdue, mot de passe retrouvé.", language="fr")

    bluesky.publish(credentials, bluesky.prepare(credentials, post, idempotency_key="k"), post)

    assert len(session_log.sessions) == 2  # a new session, to be stored
    assert len(list_records(bluesky_peer, bluesky_account)) == 1


def test_bluesky_verify_returns_did(
    bluesky: BlueskyAdapter,
    bluesky_credentials: Credentials,
    bluesky_account: BlueskyTestAccount,
) -> None:
    assert bluesky.verify(bluesky_credentials) == bluesky_account.did


def test_bluesky_unreachable_server_is_transient(bluesky: BlueskyAdapter) -> None:
    credentials = Credentials(server_url=closed_port_url(), handle="a.test", secret="x")
    post = OutgoingPost(text="Bonjour", language="fr")
    payload = bluesky.prepare(credentials, post, idempotency_key="k")  # no mention: no network

    with pytest.raises(PublishError) as info:
        bluesky.publish(credentials, payload, post)

    assert not info.value.permanent

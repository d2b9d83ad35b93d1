"""Per-network options on the wire: Mastodon content warning, visibility and sensitive flag;
Bluesky self-labels, the threadgate written in the post's commit, and the OpenGraph link
card."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from PIL import Image

from publishing.adapters.base import Credentials, MediaItem, OutgoingPost
from publishing.adapters.bluesky import BlueskyAdapter
from publishing.adapters.bluesky.card import MAX_THUMB_BYTES
from publishing.adapters.bluesky.images import blob_cid
from publishing.adapters.mastodon import MastodonAdapter

if TYPE_CHECKING:
    from peers.mastodon import MastodonPeer
    from peers.pds import BlueskyPeer, BlueskyTestAccount

TIMEOUT = 5.0


def big_jpeg() -> bytes:
    """A noisy 1600x1000 picture well over the 1 MB thumbnail limit."""
    import random

    image = Image.frombytes("RGB", (1600, 1000), random.Random(7).randbytes(1600 * 1000 * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=100)
    return out.getvalue()


PAGE = b"""<!doctype html><html><head><title>Fallback</title>
<meta property="og:title" content="Budget participatif 2026">
<meta property="og:description" content="Votez pour les projets de votre quartier.">
<meta property="og:image" content="/cover.jpg">
</head><body>Hello</body></html>"""


class _Site(BaseHTTPRequestHandler):
    image = b""

    def do_GET(self) -> None:
        if self.path == "/page":
            body, kind = PAGE, "text/html; charset=utf-8"
        elif self.path == "/cover.jpg":
            body, kind = self.image, "image/jpeg"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    _Site.image = big_jpeg()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def bluesky_credentials(
    bluesky_peer: BlueskyPeer, bluesky_account: BlueskyTestAccount
) -> Credentials:
    return Credentials(
        server_url=bluesky_peer.url,
        handle=bluesky_account.handle,
        secret=bluesky_account.app_password,
    )


def raw_record(
    peer: BlueskyPeer, account: BlueskyTestAccount, collection: str, rkey: str
) -> httpx.Response:
    return httpx.get(
        f"{peer.url}/xrpc/com.atproto.repo.getRecord",
        params={"repo": account.did, "collection": collection, "rkey": rkey},
        timeout=TIMEOUT,
    )


def test_mastodon_status_has_content_warning_visibility_and_sensitive_flag(
    mastodon_peer: MastodonPeer, mastodon_token: str
) -> None:
    adapter = MastodonAdapter(timeout=TIMEOUT, allow_http=True)
    credentials = Credentials(server_url=mastodon_peer.url, handle="o", secret=mastodon_token)
    post = OutgoingPost(
        text="Bilan de l'accident de la RN12.",
        language="fr",
        visibility="unlisted",
        spoiler_text="Accident grave",
        sensitive=True,
    )
    payload = adapter.prepare(credentials, post, idempotency_key=str(uuid.uuid4()))

    ref = adapter.publish(credentials, payload, post)

    status = mastodon_peer.status(mastodon_token, ref.remote_id)
    assert status["spoiler_text"] == "Accident grave"
    assert status["visibility"] == "unlisted"
    assert status["sensitive"] is True


def test_mastodon_image_uploaded_with_its_focus_point(
    mastodon_peer: MastodonPeer, mastodon_token: str
) -> None:
    from tests.integration.test_adapters import png

    adapter = MastodonAdapter(timeout=TIMEOUT, allow_http=True)
    credentials = Credentials(server_url=mastodon_peer.url, handle="o", secret=mastodon_token)
    image = MediaItem(data=png(9, 9, 9), mime_type="image/png", alt_text="Logo", focus=(0.5, -1))
    post = OutgoingPost(text="Logo.", language="fr", media=(image,))
    payload = adapter.prepare(credentials, post, idempotency_key=str(uuid.uuid4()))

    ref = adapter.publish(credentials, payload, post)

    (attachment,) = mastodon_peer.status(mastodon_token, ref.remote_id)["media_attachments"]
    assert attachment["meta"]["focus"] == {"x": 0.5, "y": -1.0}


def test_bluesky_record_carries_the_self_label(
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
    bluesky_credentials: Credentials,
) -> None:
    adapter = BlueskyAdapter(timeout=TIMEOUT, allow_http=True)
    post = OutgoingPost(text="Images de l'incendie.", language="fr", self_label="graphic-media")
    payload = adapter.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    adapter.publish(bluesky_credentials, payload, post)

    value = raw_record(bluesky_peer, bluesky_account, "app.bsky.feed.post", payload.data["rkey"])
    assert value.json()["value"]["labels"] == {
        "$type": "com.atproto.label.defs#selfLabels",
        "values": [{"val": "graphic-media"}],
    }


@pytest.mark.parametrize(
    ("gate", "allow"),
    [
        ("nobody", []),
        ("mentioned", [{"$type": "app.bsky.feed.threadgate#mentionRule"}]),
        ("followers", [{"$type": "app.bsky.feed.threadgate#followerRule"}]),
    ],
)
def test_bluesky_threadgate_written_under_the_post_key_with_its_rules(
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
    bluesky_credentials: Credentials,
    gate: str,
    allow: list[dict[str, str]],
) -> None:
    adapter = BlueskyAdapter(timeout=TIMEOUT, allow_http=True)
    post = OutgoingPost(text="Pas de réponses ici.", language="fr", reply_gate=gate)
    payload = adapter.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    ref = adapter.publish(bluesky_credentials, payload, post)

    rkey = payload.data["rkey"]
    gate_record = raw_record(bluesky_peer, bluesky_account, "app.bsky.feed.threadgate", rkey)
    assert gate_record.status_code == 200
    assert gate_record.json()["value"]["post"] == ref.remote_id
    assert gate_record.json()["value"]["allow"] == allow


def test_bluesky_threadgate_missing_after_a_two_call_crash_is_repaired_by_the_retry(
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
    bluesky_credentials: Credentials,
) -> None:
    adapter = BlueskyAdapter(timeout=TIMEOUT, allow_http=True)
    post = OutgoingPost(text="Personne ne répond.", language="fr", reply_gate="nobody")
    payload = adapter.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))
    # Left by the version that wrote post and gate in two calls and died between them (the
    # gate now goes in the post's own commit): only the post is there.
    without_gate = type(payload)(data={k: v for k, v in payload.data.items() if k != "threadgate"})
    first = adapter.publish(bluesky_credentials, without_gate, post)

    assert adapter.lookup(bluesky_credentials, payload) is None  # not done until both exist
    again = adapter.publish(bluesky_credentials, payload, post)

    assert again.remote_id == first.remote_id
    assert adapter.lookup(bluesky_credentials, payload) == again
    rkey = payload.data["rkey"]
    gate_record = raw_record(bluesky_peer, bluesky_account, "app.bsky.feed.threadgate", rkey)
    assert gate_record.json()["value"]["allow"] == []


def test_bluesky_link_card_built_from_open_graph_with_fitted_thumbnail(
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
    bluesky_credentials: Credentials,
    site: str,
) -> None:
    adapter = BlueskyAdapter(timeout=TIMEOUT, allow_http=True)
    post = OutgoingPost(text=f"Votez avant dimanche : {site}/page", language="fr")
    payload = adapter.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    adapter.publish(bluesky_credentials, payload, post)
    adapter.publish(bluesky_credentials, payload, post)  # a retry sends the same blob

    assert payload.data["card"] == "external"
    answer = raw_record(bluesky_peer, bluesky_account, "app.bsky.feed.post", payload.data["rkey"])
    embed = answer.json()["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    external = embed["external"]
    assert external["uri"] == f"{site}/page"
    assert external["title"] == "Budget participatif 2026"
    assert external["description"] == "Votez pour les projets de votre quartier."
    assert external["thumb"]["mimeType"] == "image/jpeg"
    assert external["thumb"]["size"] <= MAX_THUMB_BYTES
    blob = httpx.get(
        f"{bluesky_peer.url}/xrpc/com.atproto.sync.getBlob",
        params={"did": bluesky_account.did, "cid": external["thumb"]["ref"]["$link"]},
        timeout=TIMEOUT,
    )
    assert blob.status_code == 200
    assert blob_cid(blob.content) == external["thumb"]["ref"]["$link"]


def test_bluesky_page_that_fails_to_load_gives_no_card_and_the_post_goes_out(
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
    bluesky_credentials: Credentials,
    site: str,
) -> None:
    adapter = BlueskyAdapter(timeout=TIMEOUT, allow_http=True)
    post = OutgoingPost(text=f"Page disparue : {site}/missing", language="fr")
    payload = adapter.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))

    adapter.publish(bluesky_credentials, payload, post)

    assert payload.data["card"] == "none (HTTP 404)"
    answer = raw_record(bluesky_peer, bluesky_account, "app.bsky.feed.post", payload.data["rkey"])
    assert "embed" not in answer.json()["value"]


def test_bluesky_delete_removes_the_threadgate_with_the_post(
    bluesky_peer: BlueskyPeer,
    bluesky_account: BlueskyTestAccount,
    bluesky_credentials: Credentials,
) -> None:
    adapter = BlueskyAdapter(timeout=TIMEOUT, allow_http=True)
    post = OutgoingPost(text="Bientôt retiré.", language="fr", reply_gate="mentioned")
    payload = adapter.prepare(bluesky_credentials, post, idempotency_key=str(uuid.uuid4()))
    ref = adapter.publish(bluesky_credentials, payload, post)

    adapter.delete(bluesky_credentials, ref.remote_id)

    rkey = payload.data["rkey"]
    for collection in ("app.bsky.feed.post", "app.bsky.feed.threadgate"):
        answer = raw_record(bluesky_peer, bluesky_account, collection, rkey)
        assert answer.json()["error"] == "RecordNotFound"

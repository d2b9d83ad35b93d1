"""The publisher sends each network its variant and options; the adapters put them in the
payload frozen at prepare time (the wire itself: tests/integration/test_network_options.py)."""

from __future__ import annotations

import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from editorial import services as editorial
from editorial.networks import NetworkOptions
from publishing import services
from publishing.adapters.base import (
    Credentials,
    MediaItem,
    OutgoingPost,
    PreparedPayload,
    PublishError,
)
from publishing.adapters.bluesky import BlueskyAdapter
from publishing.adapters.bluesky import card as bluesky_card
from publishing.adapters.bluesky.card import CardUnavailable, fetch_card, parse_open_graph
from publishing.adapters.mastodon import MastodonAdapter
from publishing.models import Publication
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


CREDENTIALS = Credentials(server_url="http://127.0.0.1:9", handle="h.test", secret="s")


class RecordingAdapter(FakeAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.posts: list[OutgoingPost] = []

    def prepare(
        self, credentials: Credentials, post: OutgoingPost, *, idempotency_key: str
    ) -> PreparedPayload:
        self.posts.append(post)
        return super().prepare(credentials, post, idempotency_key=idempotency_key)


def _publish(org: Org, network: NetworkOptions, monkeypatch: pytest.MonkeyPatch) -> Any:
    from publishing.services import network as services_network

    adapter = RecordingAdapter()
    monkeypatch.setattr(services_network, "get_adapter", lambda network, **kw: adapter)
    post = editorial.post_create(
        by=org.officer,
        accounts=[org.mastodon, org.bluesky],
        text="Ouverture du guichet unique lundi, de 9 h à 17 h.",
        network=network,
    )
    editorial.post_submit(post=post, by=org.officer)
    editorial.post_approve(post=post, by=org.manager)
    editorial.post_schedule(post=post, by=org.manager, at=None)
    for pk in services.tick(now=timezone.now()).queued:
        services.publication_send(publication_id=pk)
    return adapter


def test_tick_freezes_each_account_with_its_network_variant(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(org, NetworkOptions(variants={"bluesky": "Guichet unique lundi."}), monkeypatch)

    texts = {p.account.network: p.text for p in Publication.objects.select_related("account")}
    assert texts == {
        "mastodon": "Ouverture du guichet unique lundi, de 9 h à 17 h.\n\n— SICOM ^JD",
        "bluesky": "Guichet unique lundi.\n\n— SICOM ^JD",
    }


def test_send_gives_the_adapter_the_revision_options(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = NetworkOptions(
        visibility="unlisted",
        spoiler_text="Travaux",
        sensitive=True,
        self_label="nudity",
        reply_gate="mentioned",
    )
    adapter = _publish(org, options, monkeypatch)

    assert {
        (p.visibility, p.spoiler_text, p.sensitive, p.self_label, p.reply_gate)
        for p in adapter.posts
    } == {("unlisted", "Travaux", True, "nudity", "mentioned")}


def test_mastodon_prepare_payload_carries_visibility_warning_and_sensitive() -> None:
    post = OutgoingPost(
        text="Bilan.", language="fr", visibility="private", spoiler_text="CW", sensitive=True
    )

    payload = MastodonAdapter(timeout=1, allow_http=True).prepare(
        CREDENTIALS, post, idempotency_key="k"
    )

    assert (
        payload.data["visibility"],
        payload.data["spoiler_text"],
        payload.data["sensitive"],
    ) == ("private", "CW", True)


def test_bluesky_prepare_payload_has_labels_and_a_threadgate_spec() -> None:
    post = OutgoingPost(text="Rien.", language="fr", self_label="porn", reply_gate="followers")

    payload = BlueskyAdapter(timeout=1, allow_http=True).prepare(
        CREDENTIALS, post, idempotency_key="k"
    )

    assert payload.data["record"]["labels"]["values"] == [{"val": "porn"}]
    assert payload.data["threadgate"] == {
        "allow": [{"$type": "app.bsky.feed.threadgate#followerRule"}],
        "createdAt": payload.data["record"]["createdAt"],
    }


def test_bluesky_prepare_without_options_has_no_labels_nor_threadgate() -> None:
    payload = BlueskyAdapter(timeout=1, allow_http=True).prepare(
        CREDENTIALS, OutgoingPost(text="Rien.", language="fr"), idempotency_key="k"
    )

    assert "labels" not in payload.data["record"]
    assert "threadgate" not in payload.data


def test_bluesky_prepare_unknown_self_label_is_permanent() -> None:
    post = OutgoingPost(text="x", language="fr", self_label="gore")

    with pytest.raises(PublishError) as refused:
        BlueskyAdapter(timeout=1, allow_http=True).prepare(CREDENTIALS, post, idempotency_key="k")

    assert refused.value.permanent


def test_bluesky_prepare_with_images_fetches_no_card() -> None:
    from tests.integration.test_adapters import png

    image = MediaItem(data=png(1, 2, 3), mime_type="image/png", alt_text="Logo")
    post = OutgoingPost(text=f"Voir {_closed_port_url()}/page", language="fr", media=(image,))

    payload = BlueskyAdapter(timeout=1, allow_http=True).prepare(
        CREDENTIALS, post, idempotency_key=str(uuid.uuid4())
    )

    assert "card" not in payload.data
    assert payload.data["record"]["embed"]["$type"] == "app.bsky.embed.images"


def test_bluesky_prepare_unreachable_page_records_why_there_is_no_card() -> None:
    post = OutgoingPost(text=f"Voir {_closed_port_url()}/page", language="fr")

    payload = BlueskyAdapter(timeout=1, allow_http=True).prepare(
        CREDENTIALS, post, idempotency_key="k"
    )

    assert payload.data["card"] == "none (ConnectError)"
    assert "embed" not in payload.data["record"]


def test_fetch_card_refuses_loopback_in_production() -> None:
    with pytest.raises(CardUnavailable, match="private address"):
        fetch_card(f"{_closed_port_url()}/page", timeout=1, allow_private=False)


def test_fetch_card_refuses_other_schemes() -> None:
    with pytest.raises(CardUnavailable, match="http"):
        fetch_card("file:///etc/passwd", timeout=1, allow_private=True)


def test_parse_open_graph_falls_back_on_title_and_description() -> None:
    html = (
        "<html><head><title> Mairie </title>"
        '<meta name="description" content="Horaires"></head></html>'
    )
    assert parse_open_graph(html) == {"title": "Mairie", "description": "Horaires", "image": ""}


def _addresses(*ips: str) -> Any:
    return lambda host, port, **kw: [(0, 0, 0, "", (ip, port)) for ip in ips]


def test_card_target_pinned_to_the_checked_address_keeps_the_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _addresses("93.184.216.34"))

    target = bluesky_card._target(
        "https://www.example.org:8443/a?b=1", allow_private=False, timeout=1
    )

    assert target.url == "https://93.184.216.34:8443/a?b=1"
    assert target.headers == {"Host": "www.example.org:8443"}
    assert target.extensions == {"sni_hostname": "www.example.org"}


def test_card_target_refused_when_one_address_is_private(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _addresses("93.184.216.34", "10.0.0.5"))

    with pytest.raises(CardUnavailable, match="private address"):
        bluesky_card._target("http://intranet.example.org/", allow_private=False, timeout=1)


class _Page(BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers["Host"])
        body = b'<meta property="og:title" content="Mairie">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_fetch_card_in_production_requests_the_checked_address_under_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    # The name resolves (once, as checked) to this server; nothing resolves it again.
    monkeypatch.setattr(bluesky_card, "_resolve_public", lambda host, port, timeout: "127.0.0.1")
    try:
        card = fetch_card(f"http://mairie.invalid:{port}/", timeout=2, allow_private=False)
    finally:
        server.shutdown()
        server.server_close()

    assert card.title == "Mairie"
    assert _Page.hosts == [f"mairie.invalid:{port}"]

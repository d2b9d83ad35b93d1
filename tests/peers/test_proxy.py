"""The fault-injecting proxy against a tiny HTTP/1.1 server on loopback: framing of
keep-alive requests and answers (lengths and chunks), and each fault on its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from peers.proxy import Fault, FaultProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise
    server: _Upstream

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, body: bytes) -> None:
        self.server.seen.append((self.command, self.path, body, self.client_address[1]))
        self.server.headers.append([k.lower() for k in self.headers])
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        reply = b"echo:" + body if body else f"{self.command} {self.path}".encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        self._answer(self._body())


class _Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str, bytes, int]] = []
        self.headers: list[list[str]] = []


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    server = _Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(upstream: _Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(f"http://127.0.0.1:{upstream.server_address[1]}", seed=1) as p:
        yield p


def test_proxy_passes_keep_alive_requests_with_lengths_and_chunks(
    upstream: _Upstream, proxy: FaultProxy
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"part one, "
        yield b"part two"

    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        assert client.get("/a").text == "GET /a"
        assert client.post("/b", content=b"sized body").text == "echo:sized body"
        assert client.post("/c", content=chunks()).text == "echo:part one, part two"
        assert client.get("/chunked").text == "hello chunked world"
    assert [(m, p, b) for m, p, b, _ in upstream.seen] == [
        ("GET", "/a", b""),
        ("POST", "/b", b"sized body"),
        ("POST", "/c", b"part one, part two"),
        ("GET", "/chunked", b""),
    ]
    assert proxy.requests == 4 and not proxy.injected


def test_proxy_faults_one_request_of_a_kept_alive_connection(
    upstream: _Upstream, proxy: FaultProxy
) -> None:
    proxy.add_rule(Fault.error(503), count=1, path="/second")
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        first = client.get("/first")
        second = client.get("/second")
        third = client.get("/second")
    assert (first.status_code, second.status_code, third.status_code) == (200, 503, 200)
    assert [p for _, p, _, _ in upstream.seen] == ["/first", "/second"]
    assert proxy.injected == {"error": 1}


def test_proxy_counts_requests_and_faults_per_path(upstream: _Upstream, proxy: FaultProxy) -> None:
    proxy.add_rule(Fault.error(503), count=1, path="/write")
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        client.post("/write?repo=x", content=b"a")
        client.post("/write", content=b"b")
        client.get("/read")
    assert proxy.requests_at == {"/write": 2, "/read": 1}
    assert proxy.injected_at == {("/write", "error"): 1}


def test_proxy_reset_forwards_nothing(upstream: _Upstream, proxy: FaultProxy) -> None:
    proxy.add_rule(Fault.reset(), count=1)
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{proxy.url}/write", content=b"x", timeout=5)
    assert upstream.seen == []


def test_proxy_dropped_answer_after_the_server_accepted(
    upstream: _Upstream, proxy: FaultProxy
) -> None:
    proxy.add_rule(Fault.dropped(), count=1, methods={"POST"})
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{proxy.url}/write", content=b"accepted", timeout=5)
    assert [(m, b) for m, _, b, _ in upstream.seen] == [("POST", b"accepted")]
    assert httpx.post(f"{proxy.url}/write", content=b"again", timeout=5).status_code == 201


def test_proxy_delay_still_forwards_after_the_client_gave_up(
    upstream: _Upstream, proxy: FaultProxy
) -> None:
    proxy.add_rule(Fault.delay(0.6), count=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{proxy.url}/late", content=b"slow", timeout=0.2)
    deadline = time.monotonic() + 60  # a bound on the wait, generous for a busy machine
    while not upstream.seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(m, b) for m, _, b, _ in upstream.seen] == [("POST", b"slow")]
    started = time.monotonic()
    proxy.add_rule(Fault.delay(0.3), count=1)
    assert httpx.get(f"{proxy.url}/x", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3  # a lower bound: a busy machine only adds to it


def test_proxy_rate_limit_headers_per_network(upstream: _Upstream, proxy: FaultProxy) -> None:
    proxy.add_rule(Fault.rate_limited("mastodon", reset_in=30), count=1)
    proxy.add_rule(Fault.rate_limited("bluesky", reset_in=30), count=1)
    # The answers are bracketed by two readings of the clock, so however long the requests
    # take on a busy machine, the reset is 30 s after the moment the proxy answered.
    before = datetime.now(UTC)
    mastodon = httpx.get(f"{proxy.url}/api/v1/statuses", timeout=5)
    bluesky = httpx.get(f"{proxy.url}/xrpc/com.atproto.repo.putRecord", timeout=5)
    after = datetime.now(UTC)
    assert mastodon.status_code == bluesky.status_code == 429
    iso = datetime.fromisoformat(mastodon.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    # (milliseconds in the header: the truncation may take up to 1 ms off)
    assert before + timedelta(seconds=29.999) <= iso <= after + timedelta(seconds=30)
    # (whole epoch seconds, rounded up)
    reset = int(bluesky.headers["ratelimit-reset"])
    assert before.timestamp() + 30 < reset <= after.timestamp() + 31
    assert bluesky.json()["error"] == "RateLimitExceeded"
    assert upstream.seen == []


def test_proxy_probability_applies_to_about_that_share(
    upstream: _Upstream, proxy: FaultProxy
) -> None:
    proxy.add_rule(Fault.error(502), probability=0.3, methods={"GET"})
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        statuses = [client.get(f"/{n}").status_code for n in range(200)]
        posted = client.post("/never-faulted", content=b"x").status_code
    assert 30 <= statuses.count(502) <= 90
    assert statuses.count(502) + statuses.count(200) == 200
    assert posted == 201
    assert proxy.injected["error"] == statuses.count(502)


def test_proxy_upstream_down_resets_the_client(proxy: FaultProxy, upstream: _Upstream) -> None:
    upstream.shutdown()
    upstream.server_close()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{proxy.url}/gone", timeout=5)


def test_proxy_strips_request_headers_and_keeps_the_rest(upstream: _Upstream) -> None:
    upstream_url = f"http://127.0.0.1:{upstream.server_address[1]}"
    with (
        FaultProxy(upstream_url, strip_request_headers={"Idempotency-Key"}) as proxy,
        httpx.Client(base_url=proxy.url, timeout=5) as client,
    ):
        first = client.post(
            "/api/v1/statuses", content=b"status=1", headers={"Idempotency-Key": "k1"}
        )
        second = client.post(
            "/api/v1/statuses", content=b"status=2", headers={"idempotency-key": "k2"}
        )
        third = client.get("/api/v1/instance", headers={"X-Other": "kept"})
    assert (first.text, second.text) == ("echo:status=1", "echo:status=2")
    assert third.status_code == 200
    assert [b for _, _, b, _ in upstream.seen] == [b"status=1", b"status=2", b""]
    assert all("idempotency-key" not in names for names in upstream.headers)
    assert "x-other" in upstream.headers[2]
    assert "content-length" in upstream.headers[0]
    assert proxy.stripped == {"idempotency-key": 2}

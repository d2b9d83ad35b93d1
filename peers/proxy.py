"""A fault-injecting HTTP proxy on loopback, one in front of each peer, driven by the test.

    proxy = FaultProxy("http://127.0.0.1:8080").start()
    proxy.add_rule(Fault.dropped(), probability=0.1, methods={"POST"}, path="/api/v1/statuses")
    proxy.add_rule(Fault.error(503), count=2)       # the next two requests answer 503
    proxy.clear()                                    # back to pass-through

It speaks just enough HTTP/1.1 to frame each request and each answer (Content-Length or
chunked bodies, keep-alive), so every request on a kept-alive connection is judged and
faulted on its own. Each forwarded request opens a fresh connection to the upstream: a
stale upstream connection can then never make the proxy resend a request by itself, so every
write the server sees is one the client sent.

Faults (:class:`Fault`):
- ``delay(s)``: wait, then forward. If the client gives up meanwhile, the request still
  reaches the server: a write accepted after the client stopped listening.
- ``reset()``: close the client's connection with a TCP reset; nothing is forwarded.
- ``dropped()``: forward, let the server answer, then reset the client's connection instead
  of relaying the answer: the server accepted the write, the client sees a broken connection.
- ``error(502/503)``: answer that status without forwarding.
- ``rate_limited(flavour)``: answer 429 with the rate-limit headers of the network
  (Mastodon: ``X-RateLimit-Reset`` as an ISO-8601 time; Bluesky/atproto: ``ratelimit-reset``
  in epoch seconds), without forwarding.

Headers can be removed from every request before it is forwarded
(``FaultProxy(upstream, strip_request_headers={"Idempotency-Key"})``): a Mastodon peer behind
it behaves as the servers that ignore the key (GoToSocial, Takahē), where a resend after a
lost answer makes a second status. :attr:`FaultProxy.stripped` counts the removals.

Rules are tried in order; a rule applies to matching requests with its probability, and to
at most ``count`` of them when a count is given. :attr:`FaultProxy.injected` counts what was
done, per fault kind; :attr:`FaultProxy.injected_at` per (path, fault kind) and
:attr:`FaultProxy.requests_at` the requests per path (the target without its query), so a
campaign can say which endpoint its faults hit.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from peers import LOOPBACK

if TYPE_CHECKING:
    from collections.abc import Collection
    from types import TracebackType

__all__ = ["Fault", "FaultProxy", "Rule"]

_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Fault:
    kind: str  # "delay", "reset", "dropped", "error", "rate_limited"
    seconds: float = 0.0  # delay; for rate_limited, how far ahead the window reopens
    status: int = 503
    flavour: str = "mastodon"  # rate_limited: whose headers

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        return cls("delay", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        return cls("reset")

    @classmethod
    def dropped(cls) -> Fault:
        return cls("dropped")

    @classmethod
    def error(cls, status: int = 503) -> Fault:
        return cls("error", status=status)

    @classmethod
    def rate_limited(cls, flavour: str, *, reset_in: float = 2.0) -> Fault:
        if flavour not in {"mastodon", "bluesky"}:
            raise ValueError(f"unknown rate-limit flavour {flavour!r}")
        return cls("rate_limited", seconds=reset_in, flavour=flavour)


@dataclass
class Rule:
    fault: Fault
    probability: float = 1.0
    count: int | None = None  # at most this many more requests; None: no bound
    methods: frozenset[str] | None = None
    path: str | None = None  # a prefix of the request target
    applied: int = field(default=0)

    def matches(self, method: str, target: str) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.path is None or target.startswith(self.path)


@dataclass
class _Message:
    """One framed HTTP message: the head's raw bytes and parsed parts, and the raw body."""

    head: bytes
    start_line: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def wants_close(self, version: str) -> bool:
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        return "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)


class _Closed(Exception):
    """The peer closed its side where a message was expected (or mid-message)."""


def _read_head(stream: IO[bytes]) -> tuple[bytes, str, list[tuple[str, str]]]:
    lines: list[bytes] = []
    size = 0
    while True:
        line = stream.readline(_MAX_HEADER_BYTES)
        if not line:
            raise _Closed
        if not lines and line in (b"\r\n", b"\n"):
            continue  # tolerated stray empty line between messages (RFC 9112 §2.2)
        lines.append(line)
        size += len(line)
        if size > _MAX_HEADER_BYTES:
            raise ValueError("header section too large")
        if line in (b"\r\n", b"\n"):
            break
    text = [raw.decode("latin-1").rstrip("\r\n") for raw in lines[:-1]]
    headers = []
    for item in text[1:]:
        name, _, value = item.partition(":")
        headers.append((name.strip(), value.strip()))
    return b"".join(lines), text[0], headers


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise _Closed
    return data


def _read_chunked(stream: IO[bytes]) -> bytes:
    """The chunked body exactly as sent (sizes, chunks, trailers), to relay unchanged."""
    parts: list[bytes] = []
    while True:
        size_line = stream.readline(_MAX_HEADER_BYTES)
        if not size_line:
            raise _Closed
        parts.append(size_line)
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while True:  # trailers, up to the empty line
                trailer = stream.readline(_MAX_HEADER_BYTES)
                if not trailer:
                    raise _Closed
                parts.append(trailer)
                if trailer in (b"\r\n", b"\n"):
                    return b"".join(parts)
        parts.append(_read_exact(stream, size + 2))  # the chunk and its CRLF


def _read_body(stream: IO[bytes], message_headers: _Message, *, until_close: bool) -> bytes:
    if "chunked" in (message_headers.header("transfer-encoding") or "").lower():
        return _read_chunked(stream)
    length = message_headers.header("content-length")
    if length is not None:
        return _read_exact(stream, int(length))
    return stream.read() if until_close else b""


def read_request(stream: IO[bytes]) -> _Message:
    head, start, headers = _read_head(stream)
    message = _Message(head, start, headers, b"")
    message.body = _read_body(stream, message, until_close=False)
    return message


def read_response(stream: IO[bytes], method: str) -> tuple[_Message, bool]:
    """The answer and whether its end is the connection's end (no length, no chunks)."""
    head, start, headers = _read_head(stream)
    message = _Message(head, start, headers, b"")
    status = int(start.split(" ", 2)[1])
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return message, False
    framed = message.header("content-length") is not None or "chunked" in (
        message.header("transfer-encoding") or ""
    )
    message.body = _read_body(stream, message, until_close=True)
    return message, not framed


def without_headers(head: bytes, names: Collection[str]) -> tuple[bytes, int]:
    """The request head without the named header fields (any case); how many were removed."""
    lines = head.split(b"\r\n")
    kept = [lines[0]]
    removed = 0
    for line in lines[1:]:
        name = line.split(b":", 1)[0].strip().decode("latin-1").lower()
        if line and name in names:
            removed += 1
            continue
        kept.append(line)
    return b"\r\n".join(kept), removed


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST rather than a FIN: the client sees "connection reset"."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _canned(status: int, reason: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    base = {
        "Date": email.utils.formatdate(usegmt=True),
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": str(len(body)),
    }
    lines += [f"{k}: {v}" for k, v in {**base, **headers}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _rate_limited_answer(fault: Fault) -> bytes:
    reset = datetime.now(UTC) + timedelta(seconds=fault.seconds)
    if fault.flavour == "mastodon":
        # https://docs.joinmastodon.org/api/rate-limits/: reset as an ISO 8601 timestamp.
        headers = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        body = {"error": "Too many requests"}
    else:
        # https://docs.bsky.app/docs/advanced-guides/rate-limits: reset in epoch seconds.
        headers = {
            "ratelimit-limit": "5000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(int(reset.timestamp()) + 1),
            "ratelimit-policy": "5000;w=3600",
        }
        body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    return _canned(429, "Too Many Requests", headers, json.dumps(body).encode())


_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class FaultProxy:
    """A thread-based proxy on 127.0.0.1 in front of ``upstream`` (``http://host:port``).

    ``port`` may be given (a peer that must know its public address before it starts);
    otherwise a free one is taken. ``seed`` makes the probabilistic rules reproducible.
    """

    def __init__(
        self,
        upstream: str,
        *,
        port: int = 0,
        seed: int | None = None,
        strip_request_headers: Collection[str] = (),
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be http://host:port, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self._wanted_port = port
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._listener: socket.socket | None = None
        self._clients: set[socket.socket] = set()
        self._stopping = threading.Event()
        self.port: int | None = None
        self.injected: Counter[str] = Counter()
        self.injected_at: Counter[tuple[str, str]] = Counter()  # (path, fault kind) -> times
        self.requests = 0
        self.requests_at: Counter[str] = Counter()  # path -> requests
        self.strip_request_headers = frozenset(h.lower() for h in strip_request_headers)
        self.stripped: Counter[str] = Counter()  # header name -> requests it was removed from

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("FaultProxy is not started")
        return f"http://{LOOPBACK}:{self.port}"

    # --- control, from the test's thread ---------------------------------------------------

    def add_rule(
        self,
        fault: Fault,
        *,
        probability: float = 1.0,
        count: int | None = None,
        methods: Collection[str] | None = None,
        path: str | None = None,
    ) -> Rule:
        rule = Rule(
            fault,
            probability=probability,
            count=count,
            methods=frozenset(m.upper() for m in methods) if methods is not None else None,
            path=path,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove_rule(self, rule: Rule) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._rules.remove(rule)

    def clear(self) -> None:
        """Back to pass-through (faults already decided still run their course)."""
        with self._lock:
            self._rules.clear()

    def _decide(self, method: str, target: str) -> Fault | None:
        path = target.split("?", 1)[0]
        with self._lock:
            self.requests += 1
            self.requests_at[path] += 1
            for rule in self._rules:
                if not rule.matches(method, target):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                rule.applied += 1
                self.injected[rule.fault.kind] += 1
                self.injected_at[path, rule.fault.kind] += 1
                return rule.fault
        return None

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        if self._listener is not None:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self._wanted_port))
        listener.listen(128)
        self._listener = listener
        self.port = listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, name=f"proxy:{self.port}", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stopping.is_set():
            try:
                client, _addr = listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    # --- one client connection ------------------------------------------------------------

    def _serve(self, client: socket.socket) -> None:
        try:
            with client.makefile("rb") as reader:
                while not self._stopping.is_set():
                    try:
                        request = read_request(reader)
                    except (_Closed, OSError, ValueError):
                        break
                    if not self._handle(client, request):
                        break
        finally:
            with self._lock:
                self._clients.discard(client)
            with contextlib.suppress(OSError):
                client.close()

    def _handle(self, client: socket.socket, request: _Message) -> bool:
        """Answer one request; False when the client connection must end."""
        method, target, version = ([*request.start_line.split(" ", 2), "", ""])[:3]
        fault = self._decide(method, target)
        kind = fault.kind if fault is not None else "pass"
        if fault is not None and kind == "reset":
            _reset(client)
            return False
        if fault is not None and kind == "error":
            reason = _REASONS.get(fault.status, "Error")
            body = json.dumps({"error": "InternalServerError", "message": reason}).encode()
            return self._send(client, _canned(fault.status, reason, {}, body))
        if fault is not None and kind == "rate_limited":
            return self._send(client, _rate_limited_answer(fault))
        if fault is not None and kind == "delay":
            time.sleep(fault.seconds)
        try:
            answer, ends_connection = self._forward(request, method)
        except (OSError, _Closed, ValueError):
            # The upstream is down or broke mid-answer: so does the client's connection.
            _reset(client)
            return False
        if kind == "dropped":
            _reset(client)  # the server has done the work; the client never hears of it
            return False
        keep = self._send(client, answer.head + answer.body)
        status_version = answer.start_line.split(" ", 1)[0]
        return (
            keep
            and not ends_connection
            and not request.wants_close(version)
            and not answer.wants_close(status_version)
        )

    def _forward(self, request: _Message, method: str) -> tuple[_Message, bool]:
        head = request.head
        if self.strip_request_headers:
            for key, _value in request.headers:
                if key.lower() in self.strip_request_headers:
                    with self._lock:
                        self.stripped[key.lower()] += 1
            head, _removed = without_headers(head, self.strip_request_headers)
        with socket.create_connection((self.upstream_host, self.upstream_port), timeout=60) as up:
            up.sendall(head + request.body)
            with up.makefile("rb") as reader:
                while True:
                    answer, ends = read_response(reader, method)
                    status = int(answer.start_line.split(" ", 2)[1])
                    if status >= 200 or status == 101:
                        return answer, ends
                    # An interim 1xx (100 Continue): skip it, the final answer follows.

    @staticmethod
    def _send(client: socket.socket, data: bytes) -> bool:
        try:
            client.sendall(data)
        except OSError:
            return False
        return True

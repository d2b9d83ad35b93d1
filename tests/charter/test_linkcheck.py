"""The link check against a real HTTP server on loopback, and the rule that reads its answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from charter import services
from charter.engine import CharterConfig, check
from charter.linkcheck import fetch
from charter.models import LinkCheck
from charter.rules.base import Severity
from charter.rules.links import check_links_reachable
from charter.selectors import link_statuses
from charter.snapshot import LinkStatus, PostSnapshot, RenditionSnapshot


class Handler(BaseHTTPRequestHandler):
    def _answer(self, body: bool) -> None:
        path = self.path
        if path == "/ok":
            self.send_response(200)
        elif path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        elif path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
        elif path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
        elif path == "/no-head":
            self.send_response(200)
        elif path == "/slow":
            time.sleep(1.5)
            self.send_response(200)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    ("path", "ok", "detail"),
    [
        ("/ok", True, "200 OK"),
        ("/gone", False, "404 Not Found"),
        ("/moved", True, "200 OK"),
        ("/no-head", True, "200 OK"),
        ("/loop", False, "too many redirects"),
    ],
)
def test_linkcheck_fetch_answers(site: str, path: str, ok: bool, detail: str) -> None:
    # A generous timeout: the answer is under test, not its speed; on a busy machine the
    # loopback server may take over a second to answer.
    answer = fetch(site + path, timeout=30.0, allow_private=True)
    assert (answer.ok, answer.detail) == (ok, detail)


def test_linkcheck_fetch_times_out_in_words(site: str) -> None:
    answer = fetch(site + "/slow", timeout=0.3, allow_private=True)
    assert (answer.ok, answer.detail) == (False, "no answer in time")


def test_linkcheck_fetch_refuses_private_addresses_in_production(site: str) -> None:
    answer = fetch(site + "/ok", timeout=1.0, allow_private=False)
    assert (answer.ok, answer.detail) == (False, "address on a private network: not checked")


def test_linkcheck_fetch_unreachable_in_words() -> None:
    answer = fetch("http://127.0.0.1:9/", timeout=30.0, allow_private=True)
    assert not answer.ok
    assert answer.detail.startswith("unreachable")


@pytest.mark.django_db
def test_link_checks_run_records_and_reuses_fresh_answers(site: str, settings: Any) -> None:
    settings.LINKCHECK_ALLOW_PRIVATE = True
    urls = [site + "/ok", site + "/gone"]
    assert services.link_checks_run(urls=urls) == 2
    assert services.link_checks_run(urls=urls) == 0  # fresh: not fetched again
    statuses = {s.url: (s.ok, s.detail) for s in link_statuses(urls)}
    assert statuses == {urls[0]: (True, "200 OK"), urls[1]: (False, "404 Not Found")}

    later = timezone.now() + timedelta(seconds=settings.LINKCHECK_TTL_SECONDS + 1)
    assert services.link_checks_run(urls=urls, now=later) == 2
    assert LinkCheck.objects.count() == 2


def _snapshot(text: str, *statuses: LinkStatus) -> PostSnapshot:
    rendition = RenditionSnapshot(1, "mastodon", "dgx", text, "— DGX ^JD")
    return PostSnapshot(text, "fr", (rendition,), link_statuses=statuses)


def test_links_reachable_points_at_the_broken_link() -> None:
    text = "Voir https://a.example/ok et https://a.example/gone demain"
    snapshot = _snapshot(
        text,
        LinkStatus("https://a.example/ok", True, "200 OK"),
        LinkStatus("https://a.example/gone", False, "404 Not Found"),
    )
    findings = list(check_links_reachable(snapshot, {}, Severity.WARN))
    assert len(findings) == 1
    start, end = findings[0].span or (0, 0)
    assert text[start:end] == "https://a.example/gone"
    assert "404 Not Found" in findings[0].message


def test_links_reachable_says_nothing_before_the_check() -> None:
    snapshot = _snapshot("Voir https://a.example/gone")
    assert list(check_links_reachable(snapshot, {}, Severity.WARN)) == []


def test_links_reachable_is_in_the_default_charter_as_a_warning() -> None:
    snapshot = _snapshot(
        "Voir https://a.example/gone", LinkStatus("https://a.example/gone", False, "timeout")
    )
    report = check(snapshot, CharterConfig.default())
    found = [f for f in report.findings if f.rule == "links.reachable"]
    assert [f.severity for f in found] == [Severity.WARN]
    assert report.ok  # a warning never refuses

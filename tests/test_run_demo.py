"""deploy/run_demo.py: the demo's broker keeps its messages, and "running" means answering."""

from __future__ import annotations

import http.server
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection

from config import demo
from deploy import run_demo
from deploy.supervise import Supervisor
from peers import LOOPBACK, free_port, wait_until


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    sup = Supervisor(backoff=0.05, log=lambda line: None)
    stop = threading.Event()
    thread = threading.Thread(target=sup.run_until, args=(stop,), kwargs={"interval": 0.05})
    thread.start()
    yield sup
    stop.set()
    thread.join()
    sup.stop()


def test_demo_uses_its_embedded_broker_only_without_a_configured_one() -> None:
    assert run_demo.needs_embedded_broker({})
    assert run_demo.needs_embedded_broker({"REDIS_URL": "", "CELERY_BROKER_URL": ""})
    assert not run_demo.needs_embedded_broker({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert not run_demo.needs_embedded_broker({"CELERY_BROKER_URL": "redis://x:1/0"})


def test_demo_broker_keeps_a_queued_message_when_killed_and_restarted(
    supervisor: Supervisor, tmp_path: Path
) -> None:
    run_demo.start_broker(supervisor, tmp_path)
    broker = supervisor.child("broker")
    first = broker.pid
    assert first is not None
    url = demo.broker_url(tmp_path)
    with Connection(url) as conn:
        conn.SimpleQueue("demo-test").put({"post": 42})

    os.kill(first, signal.SIGKILL)

    assert wait_until(lambda: broker.running() and broker.pid != first, timeout=30)
    assert wait_until(lambda: run_demo.broker_answers(tmp_path), timeout=30)
    with Connection(url) as conn:
        message = conn.SimpleQueue("demo-test").get(timeout=10)
        assert message.payload == {"post": 42}
        message.ack()
    # Owner-only socket, append-only file in DATA_DIR/broker.
    assert demo.socket_path(tmp_path).stat().st_mode & 0o077 == 0
    assert (tmp_path / "broker" / "appendonlydir").is_dir()


def test_demo_broker_refuses_a_data_dir_too_long_for_a_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    with pytest.raises(demo.BrokerPathTooLong, match="shorter DATA_DIR"):
        demo.server_argv(deep)


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "/elsewhere-never-served/")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_web_answers_once_a_server_speaks_http_whatever_its_status() -> None:
    port = free_port()
    url = f"http://{LOOPBACK}:{port}/login/"
    assert not run_demo.web_answers(url)
    server = http.server.HTTPServer((LOOPBACK, port), _Quiet)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        assert run_demo.web_answers(url)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_wait_for_web_says_clearly_when_the_server_never_answers(supervisor: Supervisor) -> None:
    # A "web server" that runs but never listens.
    supervisor.add("web", [sys.executable, "-c", "import time; time.sleep(60)"])
    url = f"http://{LOOPBACK}:{free_port()}/login/"
    with pytest.raises(run_demo.DemoStartError, match="did not answer") as raised:
        run_demo.wait_for_web(supervisor, url, timeout=0.5)
    assert url in str(raised.value) and "PORT=" in str(raised.value)


def test_demo_sends_e_mails_from_a_worker_of_their_own() -> None:
    """A mail server that answers slowly fills the mail worker's slots, never the ones the
    publishing tick needs: the publishing worker takes every queue but "email"."""
    from editorial import tasks

    commands = run_demo.celery_commands()
    worker, mail = commands["worker"], commands["mail"]
    assert worker[worker.index("-X") + 1] == "email" and "-Q" not in worker
    assert mail[mail.index("-Q") + 1] == "email"
    for task in (tasks.send_notification_emails, tasks.sweep_notification_emails):
        assert getattr(task, "queue", None) == "email", task.name
    # Distinct names: two workers called alike on one machine would clash in Celery's control.
    assert worker[worker.index("-n") + 1] != mail[mail.index("-n") + 1]

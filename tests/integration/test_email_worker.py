"""The whole mail path with real processes: a request queues the e-mail task in Redis, a real
Celery worker (tests/integration/worker.py) sends it to an SMTP server on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from editorial import services
from editorial.models import Notification
from peers.smtp import SmtpServer
from tests.conftest import Org
from tests.integration.worker import celery_worker_process  # noqa: F401


@pytest.fixture
def smtp_for_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """Read by the worker process's settings (it inherits this environment when it starts)."""
    with SmtpServer() as server:
        monkeypatch.delenv("EMAIL_URL", raising=False)
        monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
        monkeypatch.setenv("EMAIL_PORT", str(server.port))
        monkeypatch.setenv("EMAIL_USE_TLS", "false")
        yield server


def test_email_worker_sends_what_a_request_queued(
    smtp_for_worker: SmtpServer,
    celery_worker_process: Any,  # noqa: F811
    org: Org,
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet lundi.")
    client = Client()
    client.force_login(org.officer)
    # No test transaction here: the request commits, and its on_commit queues the task.
    assert client.post(reverse("editorial:submit", args=[post.pk])).status_code == 302
    note = Notification.objects.get(recipient=org.manager, kind=Notification.Kind.SUBMITTED)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        note.refresh_from_db()
        if note.email_status not in ("pending", "sending"):
            break
        time.sleep(0.2)
    assert note.email_status == Notification.EmailStatus.SENT, note.email_error
    assert [m.recipients for m in smtp_for_worker.messages] == [[org.manager.email]]

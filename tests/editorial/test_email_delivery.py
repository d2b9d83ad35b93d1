"""Notification e-mails leave from a worker: the request and the publisher never wait for the
mail server; the row records each attempt; nothing is sent twice, and nothing is lost."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from celery import current_app
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from editorial import email_delivery, emails, services, tasks
from editorial.models import Notification, Post
from peers import free_port
from peers.smtp import SmtpServer
from tests.conftest import Org

K = Notification.Kind
S = Notification.EmailStatus


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback, and Django's SMTP backend pointed at it."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        settings.EMAIL_MAX_ATTEMPTS = 3
        settings.EMAIL_RETRY_BASE_SECONDS = 60.0
        yield server


@dataclass
class Queued:
    calls: list[tuple[list[int], str]] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [pk for ids, _queue in self.calls for pk in ids]


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> Queued:
    """What the request hands to the broker, once committed (the task is not run)."""
    record = Queued()

    def send_now(args: tuple[list[int]], *rest: Any, **options: Any) -> None:
        record.calls.append((list(args[0]), options["queue"]))

    monkeypatch.setattr(tasks.send_notification_emails, "send_now", send_now)
    return record


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft(org: Org) -> Post:
    return services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet lundi.")


def _note(org: Org, **fields: Any) -> Notification:
    post = _draft(org)
    return Notification.objects.create(recipient=org.manager, post=post, kind=K.SUBMITTED, **fields)


def test_request_path_does_not_contact_the_mail_server_the_task_does(
    org: Org, smtp: SmtpServer, queued: Queued, django_capture_on_commit_callbacks: Any
) -> None:
    post = _draft(org)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(org.officer).post(reverse("editorial:submit", args=[post.pk]))
    assert response.status_code == 302
    assert smtp.connections == 0
    note = Notification.objects.get(recipient=org.manager, kind=K.SUBMITTED)
    assert note.email_status == S.PENDING
    assert queued.calls == [([note.pk], "email")]  # its own queue, never the tick's or publish.*

    tasks.send_notification_emails.apply(args=(queued.ids,))

    [message] = smtp.messages
    assert message.recipients == [org.manager.email]
    assert "Guichet lundi." in message.data
    note.refresh_from_db()
    assert note.email_status == S.SENT and note.email_attempts == 1 and note.emailed_at


def test_request_queues_the_e_mails_only_once_committed(
    org: Org, queued: Queued, django_capture_on_commit_callbacks: Any
) -> None:
    post = _draft(org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.post_submit(post=post, by=org.officer)
    assert queued.calls == []  # the worker could not see the rows yet
    for callback in callbacks:
        callback()
    note = Notification.objects.get(recipient=org.manager, kind=K.SUBMITTED)
    assert queued.calls == [([note.pk], "email")]


def test_change_rolled_back_queues_no_e_mail(
    org: Org, queued: Queued, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    post = _draft(org)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.post_submit(post=post, by=org.officer)
        raise RuntimeError("a later step failed")
    assert queued.calls == [] and not Notification.objects.exists()


def test_approve_and_schedule_requests_do_not_contact_the_mail_server(
    org: Org, smtp: SmtpServer, queued: Queued, django_capture_on_commit_callbacks: Any
) -> None:
    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    manager = _client(org.manager)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("editorial:approve", args=[post.pk]), {"revision": "1"})
        manager.post(reverse("editorial:schedule", args=[post.pk]), {"now": "1"})
    post.refresh_from_db()
    assert post.state == "scheduled"
    assert smtp.connections == 0
    assert queued.ids  # the approval's notification is queued for the worker


def test_publisher_outcome_queues_emails_and_sends_none_itself(
    org: Org, smtp: SmtpServer, queued: Queued, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager)
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))
    with django_capture_on_commit_callbacks(execute=True):
        # What a publishing worker calls once its sends are done.
        services.post_record_outcome(post_id=post.pk, published=False, details={"error": "503"})
    assert smtp.connections == 0
    failed = Notification.objects.filter(post=post, kind=K.FAILED)
    assert failed.exists() and set(queued.ids) >= set(failed.values_list("pk", flat=True))
    assert set(failed.values_list("email_status", flat=True)) == {S.PENDING}


def test_task_retries_a_transient_refusal_with_backoff(
    org: Org, smtp: SmtpServer, frozen_now: Any, time_machine: Any
) -> None:
    note = _note(org)
    smtp.rcpt_reply = "451 4.3.0 Try again later"
    assert email_delivery.notification_emails_send(notification_ids=[note.pk]) == (
        frozen_now + timedelta(seconds=60)
    )
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts) == (S.PENDING, 1)
    assert "451" in note.email_error
    # Not due yet: a redelivered task sends nothing and counts no attempt.
    email_delivery.notification_emails_send(notification_ids=[note.pk])
    note.refresh_from_db()
    assert note.email_attempts == 1

    time_machine.shift(timedelta(seconds=61))
    email_delivery.notification_emails_send(notification_ids=[note.pk])
    note.refresh_from_db()
    assert note.email_attempts == 2
    assert note.email_retry_at == timezone.now() + timedelta(seconds=120)  # doubled

    smtp.rcpt_reply = "250 OK"
    time_machine.shift(timedelta(seconds=121))
    email_delivery.notification_emails_send(notification_ids=[note.pk])
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts, note.email_error) == (S.SENT, 3, "")
    assert [m.recipients for m in smtp.messages] == [[org.manager.email]]


def test_task_marks_failed_after_the_last_attempt_and_logs_it(
    org: Org, smtp: SmtpServer, frozen_now: Any, time_machine: Any, caplog: Any
) -> None:
    note = _note(org)
    smtp.rcpt_reply = "421 4.7.0 Too busy"
    for _attempt in range(3):  # EMAIL_MAX_ATTEMPTS
        email_delivery.notification_emails_send(notification_ids=[note.pk])
        time_machine.shift(timedelta(hours=1))
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts) == (S.FAILED, 3)
    assert any(
        r.levelno == logging.ERROR and "failed for good" in r.getMessage() for r in caplog.records
    )
    # Failed for good: neither a redelivery nor the sweep tries it again.
    smtp.rcpt_reply = "250 OK"
    email_delivery.notification_emails_send(notification_ids=[note.pk])
    email_delivery.notification_emails_sweep()
    assert smtp.messages == []


def test_task_a_permanent_refusal_fails_at_once(org: Org, smtp: SmtpServer) -> None:
    note = _note(org)
    smtp.rcpt_reply = "550 5.1.1 No such mailbox"
    assert email_delivery.notification_emails_send(notification_ids=[note.pk]) is None
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts) == (S.FAILED, 1)


def test_task_an_unreachable_server_is_transient_for_every_e_mail(
    org: Org, settings: Any, frozen_now: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    post = _draft(org)
    notes = Notification.objects.bulk_create(
        Notification(recipient=u, post=post, kind=K.MENTIONED) for u in (org.officer, org.manager)
    )
    email_delivery.notification_emails_send(notification_ids=[n.pk for n in notes])
    rows = Notification.objects.filter(pk__in=[n.pk for n in notes])
    assert {(r.email_status, r.email_attempts) for r in rows} == {(S.PENDING, 1)}
    assert all("Connection" in r.email_error for r in rows)


def test_task_redelivered_never_sends_twice(org: Org, smtp: SmtpServer) -> None:
    note = _note(org)
    tasks.send_notification_emails.apply(args=([note.pk],))
    tasks.send_notification_emails.apply(args=([note.pk],))  # the broker delivers it again
    assert len(smtp.messages) == 1
    note.refresh_from_db()
    assert note.email_attempts == 1


def test_task_leaves_alone_an_e_mail_another_worker_is_sending(org: Org, smtp: SmtpServer) -> None:
    note = _note(org, email_status=S.SENDING, email_claimed_at=timezone.now())
    email_delivery.notification_emails_send(notification_ids=[note.pk])
    assert smtp.messages == []
    note.refresh_from_db()
    assert note.email_status == S.SENDING


def test_task_muted_kind_is_marked_not_wanted_and_not_sent(org: Org, smtp: SmtpServer) -> None:
    emails.notification_preferences_set(by=org.manager, emailed=[K.APPROVED])
    note = _note(org)
    email_delivery.notification_emails_send(notification_ids=[note.pk])
    note.refresh_from_db()
    assert note.email_status == S.NOT_WANTED and smtp.messages == []


def test_sweep_sends_a_pending_e_mail_whose_task_was_never_queued(
    org: Org, smtp: SmtpServer, settings: Any, frozen_now: Any, time_machine: Any
) -> None:
    settings.EMAIL_SWEEP_AFTER_SECONDS = 60.0
    note = _note(org)
    email_delivery.notification_emails_sweep()
    assert smtp.messages == []  # its own task may still be on the way
    time_machine.shift(timedelta(seconds=61))
    assert email_delivery.notification_emails_sweep() == 1
    assert [m.recipients for m in smtp.messages] == [[org.manager.email]]
    note.refresh_from_db()
    assert note.email_status == S.SENT


def test_sweep_takes_back_an_e_mail_claimed_by_a_dead_worker(
    org: Org, smtp: SmtpServer, settings: Any, frozen_now: Any, time_machine: Any
) -> None:
    settings.EMAIL_SENDING_STALE_SECONDS = 300.0
    note = _note(org, email_status=S.SENDING, email_claimed_at=frozen_now, email_attempts=1)
    time_machine.shift(timedelta(seconds=200))
    email_delivery.notification_emails_sweep()
    assert smtp.messages == []  # maybe still being sent
    time_machine.shift(timedelta(seconds=101))
    email_delivery.notification_emails_sweep()
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts) == (S.SENT, 2)
    assert len(smtp.messages) == 1


def test_broker_down_the_request_commits_and_the_e_mail_stays_pending(
    org: Org,
    smtp: SmtpServer,
    broker_down: None,
    django_capture_on_commit_callbacks: Any,
    caplog: Any,
) -> None:
    post = _draft(org)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(org.officer).post(reverse("editorial:submit", args=[post.pk]))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == "in_review"
    note = Notification.objects.get(recipient=org.manager, kind=K.SUBMITTED)
    assert note.email_status == S.PENDING
    assert "send_notification_emails not queued" in caplog.text and smtp.connections == 0


def test_sweep_work_is_bounded_by_its_budget_the_rest_waits(org: Org, smtp: SmtpServer) -> None:
    post = _draft(org)
    notes = Notification.objects.bulk_create(
        Notification(recipient=u, post=post, kind=K.MENTIONED) for u in (org.officer, org.manager)
    )
    email_delivery.notification_emails_send(
        notification_ids=[n.pk for n in notes], budget_seconds=0.0
    )
    assert len(smtp.messages) == 1  # one e-mail at least, then the budget is spent
    statuses = sorted(
        Notification.objects.filter(pk__in=[n.pk for n in notes]).values_list(
            "email_status", flat=True
        )
    )
    assert statuses == [S.PENDING, S.SENT]


def test_sweep_fails_an_e_mail_whose_every_attempt_lost_its_worker(
    org: Org, smtp: SmtpServer, settings: Any, frozen_now: Any, time_machine: Any
) -> None:
    note = _note(org, email_status=S.SENDING, email_claimed_at=frozen_now, email_attempts=3)
    time_machine.shift(timedelta(seconds=settings.EMAIL_SENDING_STALE_SECONDS + 1))
    email_delivery.notification_emails_sweep()
    note.refresh_from_db()
    assert note.email_status == S.FAILED and smtp.messages == []


def test_task_an_e_mail_that_cannot_be_written_fails_and_the_others_leave(
    org: Org, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.template import TemplateSyntaxError
    from django.template.loader import render_to_string

    post = _draft(org)
    broken, fine = Notification.objects.bulk_create(
        Notification(recipient=org.manager, post=post, kind=k) for k in (K.MENTIONED, K.APPROVED)
    )

    def render(template: str, context: dict[str, Any]) -> str:
        if context["note"].pk == broken.pk:
            raise TemplateSyntaxError("broken template")
        return render_to_string(template, context)

    monkeypatch.setattr(emails, "render_to_string", render)
    email_delivery.notification_emails_send(notification_ids=[broken.pk, fine.pk])
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.email_status, fine.email_status) == (S.FAILED, S.SENT)
    assert "broken template" in broken.email_error and len(smtp.messages) == 1


def test_task_asks_celery_to_retry_when_the_first_e_mail_is_due_again(
    org: Org, smtp: SmtpServer, frozen_now: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import Retry

    asked: list[float] = []

    def retry(countdown: float) -> Retry:
        asked.append(countdown)
        return Retry("again")

    monkeypatch.setattr(tasks.send_notification_emails, "retry", retry)
    note = _note(org)
    smtp.rcpt_reply = "452 4.2.2 Mailbox full"
    tasks.send_notification_emails.apply(args=([note.pk],))
    assert asked == [60.0]  # EMAIL_RETRY_BASE_SECONDS after the first attempt
    smtp.rcpt_reply = "250 OK"
    asked.clear()
    tasks.send_notification_emails.apply(args=([note.pk],))  # a redelivery, before it is due
    assert asked == [] and smtp.messages == []


@pytest.fixture
def broker_silent(settings: Any) -> Iterator[None]:
    """The broker's host accepts connections and never answers (a hung Redis, a black hole)."""
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # the kernel completes the handshakes; nobody ever reads or replies
    conf = current_app.conf
    previous = conf.broker_url
    conf.update(broker_url=f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    try:
        yield
    finally:
        conf.update(broker_url=previous)
        listener.close()


def test_broker_silent_the_request_still_returns_and_the_e_mail_stays_pending(
    org: Org,
    smtp: SmtpServer,
    broker_silent: None,
    django_capture_on_commit_callbacks: Any,
    caplog: Any,
) -> None:
    import signal

    post = _draft(org)

    class Hung(BaseException):
        """Not an Exception: no ``except Exception`` on the way may swallow it."""

    def hung(signum: int, frame: Any) -> None:
        raise Hung("the request hung on the broker")

    # An alarm only so that a request hanging on the broker fails the test, not the run.
    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = _client(org.officer).post(reverse("editorial:submit", args=[post.pk]))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert response.status_code == 302
    note = Notification.objects.get(recipient=org.manager, kind=K.SUBMITTED)
    assert note.email_status == S.PENDING and "not queued" in caplog.text

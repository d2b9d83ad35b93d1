"""Notifications by email: after commit, per the member's choice, never at the change's cost.

The task is run in-process as soon as it is queued (``email_worker``): these tests are about what
is sent to whom; tests/editorial/test_email_delivery.py is about the worker and the broker.
"""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from editorial import email_delivery, emails, services
from editorial.models import Notification, NotificationPreference, Post
from editorial.services import comments, notifications
from tests.conftest import Org

K = Notification.Kind


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "https://porte-voix.example.gouv.fr/"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _worker(email_worker: None) -> None:
    """The queued e-mail task runs at once, in this process (tests/conftest.py)."""


def _submitted(org: Org) -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet lundi.")
    services.post_submit(post=post, by=org.officer)
    return post


def _publishing(org: Org) -> Post:
    post = _submitted(org)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager)
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))
    return post


def _fail(post: Post) -> None:
    services.post_record_outcome(post_id=post.pk, published=False, details={"error": "HTTP 503"})


def test_email_sent_after_commit_with_title_message_and_link(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet lundi.")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        comments.comment_add(post=post, by=org.officer, body="@manager un avis ?")
    assert mail.outbox == []  # nothing leaves before the change is committed
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == [org.manager.email]
    assert "Guichet lundi." in message.subject
    assert "@manager un avis ?" in message.body
    assert f"https://porte-voix.example.gouv.fr/posts/{post.pk}/" in message.body


def test_email_not_sent_when_the_change_rolls_back(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                comments.comment_add(post=post, by=org.officer, body="@manager ?")
                raise RuntimeError("later step failed")
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []


def test_email_in_the_recipient_language_else_the_site_language(
    org: Org, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "fr"
    emails.notification_preferences_set(by=org.manager, emailed=[K.SUBMITTED], language="en")
    with django_capture_on_commit_callbacks(execute=True):
        post = _submitted(org)
        services.post_request_changes(post=post, by=org.manager, comment="Précisez.")
    to_manager = next(m for m in mail.outbox if m.to == [org.manager.email])
    to_officer = next(m for m in mail.outbox if m.to == [org.officer.email])
    assert "Submitted to you for review" in to_manager.subject
    assert "Open the post:" in to_manager.body
    assert "Modifications demandées" in to_officer.subject


def test_email_muted_kind_is_not_sent_but_stays_in_the_list(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    emails.notification_preferences_set(by=org.manager, emailed=[K.APPROVED])
    with django_capture_on_commit_callbacks(execute=True):
        _submitted(org)
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=org.manager, kind=K.SUBMITTED).exists()


def test_email_failure_of_own_post_is_sent_even_when_muted(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    post = _publishing(org)
    emails.notification_preferences_set(by=org.officer, emailed=[])
    emails.notification_preferences_set(by=org.manager, emailed=[])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _fail(post)
    assert [m.to for m in mail.outbox] == [[org.officer.email]]  # the manager muted it
    assert "HTTP 503" in mail.outbox[0].body


def test_email_not_sent_to_a_member_without_address(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    org.manager.email = ""
    org.manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        _submitted(org)
    assert mail.outbox == []


def test_email_server_failure_keeps_the_change_and_the_notification(
    org: Org, django_capture_on_commit_callbacks: Any, settings: Any, caplog: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        post = _submitted(org)
    post.refresh_from_db()
    assert post.state == "in_review"
    note = Notification.objects.get(recipient=org.manager, kind=K.SUBMITTED)
    assert note.email_status == Notification.EmailStatus.PENDING  # tried again later
    assert "not sent" in caplog.text


def test_email_one_refused_message_does_not_stop_the_others(
    org: Org, monkeypatch: Any, caplog: Any
) -> None:
    post = _submitted(org)
    notes = Notification.objects.bulk_create(
        Notification(recipient=u, post=post, kind=K.MENTIONED) for u in (org.officer, org.manager)
    )
    sent: list[list[str]] = []

    def send(message: Any, fail_silently: bool = False) -> int:
        if message.to == [org.officer.email]:
            raise smtplib.SMTPRecipientsRefused({org.officer.email: (550, b"mailbox unavailable")})
        sent.append(message.to)
        return 1

    monkeypatch.setattr("django.core.mail.EmailMessage.send", send)
    email_delivery.notification_emails_send(notification_ids=[n.pk for n in notes])
    assert sent == [[org.manager.email]]
    status = dict(
        Notification.objects.filter(pk__in=[n.pk for n in notes]).values_list(
            "recipient_id", "email_status"
        )
    )
    assert status == {org.officer.pk: "failed", org.manager.pk: "sent"}
    assert "mailbox unavailable" in caplog.text


def test_notify_registers_delivery_on_commit(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.notify(post=post, kind=K.MENTIONED, recipients=[org.manager.pk])
    assert len(callbacks) == 1


def test_preferences_set_mutes_every_kind_not_chosen(org: Org) -> None:
    pref = emails.notification_preferences_set(by=org.officer, emailed=[K.FAILED, K.APPROVED])
    assert K.SUBMITTED in pref.email_muted
    assert K.APPROVED not in pref.email_muted and K.FAILED not in pref.email_muted


def test_preferences_set_refuses_an_unknown_kind(org: Org) -> None:
    with pytest.raises(ValueError, match="nonsense"):
        emails.notification_preferences_set(by=org.officer, emailed=["nonsense"])
    assert not NotificationPreference.objects.exists()


def test_email_subject_is_one_line_and_keeps_french_no_break_spaces() -> None:
    subject = "[Porte-voix] Prête\u00a0: message n°\u00a03 «\u00a0Titre\n suite\u00a0»"
    assert emails.one_line(subject) == (
        "[Porte-voix] Prête\u00a0: message n°\u00a03 «\u00a0Titre suite\u00a0»"
    )

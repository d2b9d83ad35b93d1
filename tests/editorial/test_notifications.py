"""In-app notifications: written by the services with the change they report."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from editorial.models import ApprovalStep, Notification, Post
from tests.conftest import Org
from tests.factories import add_step, make_policy, make_user

K = Notification.Kind


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _submitted(org: Org) -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet lundi.")
    services.post_submit(post=post, by=org.officer)
    return post


def _kinds(user: User) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def _publishing(org: Org) -> Post:
    post = _submitted(org)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager)
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))
    Notification.objects.all().delete()
    return post


def _two_steps(org: Org) -> User:
    director = make_user(username="director")
    membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.ministry, name="Deux niveaux")
    add_step(policy, "Chef de service", ApprovalStep.Kind.HIERARCHY, levels_up=0)
    add_step(policy, "Direction", ApprovalStep.Kind.HIERARCHY, levels_up=1)
    return director


def test_notification_submitted_reaches_the_open_steps_approvers(org: Org) -> None:
    post = _submitted(org)
    note = Notification.objects.get(recipient=org.manager)
    assert (note.kind, note.post) == (K.SUBMITTED, post)
    assert _kinds(org.officer) == []


def test_notification_submitted_reaches_the_next_step_when_it_opens(org: Org) -> None:
    director = _two_steps(org)
    post = _submitted(org)
    assert _kinds(director) == []
    services.post_approve(post=post, by=org.manager)
    assert _kinds(director) == [K.SUBMITTED]
    assert _kinds(org.officer) == []


def test_notification_approved_reaches_the_author(org: Org) -> None:
    post = _submitted(org)
    services.post_approve(post=post, by=org.manager)
    assert _kinds(org.officer) == [K.APPROVED]


def test_notification_changes_requested_reaches_the_author_with_the_comment(org: Org) -> None:
    post = _submitted(org)
    services.post_request_changes(post=post, by=org.manager, comment="Ajoutez l'horaire.")
    note = Notification.objects.get(recipient=org.officer)
    assert (note.kind, note.message) == (K.CHANGES_REQUESTED, "Ajoutez l'horaire.")


def test_notification_changes_requested_at_step_two_informs_step_one(org: Org) -> None:
    director = _two_steps(org)
    post = _submitted(org)
    services.post_approve(post=post, by=org.manager)
    services.post_request_changes(post=post, by=director, comment="Trop long.")
    assert K.CHANGES_REQUESTED in _kinds(org.manager)
    assert _kinds(org.officer) == [K.CHANGES_REQUESTED]
    assert K.CHANGES_REQUESTED not in _kinds(director)


def test_notification_published_reaches_author_approvers_and_scheduler(org: Org) -> None:
    post = _publishing(org)
    services.post_record_outcome(post_id=post.pk, published=True, details={})
    assert _kinds(org.officer) == [K.PUBLISHED]
    assert _kinds(org.manager) == [K.PUBLISHED]  # approved and scheduled: told once


def test_notification_failed_carries_the_error(org: Org) -> None:
    post = _publishing(org)
    services.post_record_outcome(post_id=post.pk, published=False, details={"error": "401"})
    note = Notification.objects.get(recipient=org.officer)
    assert (note.kind, note.message) == (K.FAILED, "401")


def test_notification_delivery_waits_for_commit(
    org: Org, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from editorial import tasks

    delivered: list[list[int]] = []
    monkeypatch.setattr(
        tasks.send_notification_emails, "send_now", lambda args, **_: delivered.append(args[0])
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _submitted(org)
    assert delivered == []
    for callback in callbacks:
        callback()
    assert delivered == [[Notification.objects.get(recipient=org.manager).pk]]


def test_notifications_page_lists_and_marks_read(org: Org) -> None:
    _submitted(org)
    client = _client(org.manager)
    page = client.get(reverse("editorial:notifications")).content.decode()
    assert "Submitted to you for review" in page
    assert 'id="unread">1<' in page
    response = client.post(reverse("editorial:notifications_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert 'id="unread"' not in client.get(reverse("editorial:notifications")).content.decode()


def test_notifications_page_shows_only_ones_own(org: Org) -> None:
    _submitted(org)
    page = _client(org.outsider).get(reverse("editorial:notifications")).content.decode()
    assert "No notification yet." in page


def test_notification_failed_also_reaches_the_accounts_publishers(org: Org) -> None:
    other_publisher = make_user(username="astreinte")
    membership_create(user=other_publisher, unit=org.service, role=Membership.Role.PUBLISHER)
    post = _publishing(org)

    services.post_record_outcome(post_id=post.pk, published=False, details={"error": "503"})

    assert _kinds(other_publisher) == [K.FAILED]
    assert _kinds(org.officer) == [K.FAILED]


def test_notification_published_does_not_reach_uninvolved_publishers(org: Org) -> None:
    other_publisher = make_user(username="astreinte")
    membership_create(user=other_publisher, unit=org.service, role=Membership.Role.PUBLISHER)
    post = _publishing(org)

    services.post_record_outcome(post_id=post.pk, published=True, details={})

    assert _kinds(other_publisher) == []

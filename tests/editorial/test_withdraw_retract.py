"""Withdrawn (cancelled before publication) and retracted (deleted after), with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from editorial import services
from editorial.models import Notification, Post, PostState
from tests.conftest import Org

S = PostState
REASON = "L'événement est reporté à une date ultérieure."


def _draft(org: Org) -> Post:
    return services.post_create(
        by=org.officer, accounts=[org.mastodon, org.bluesky], text="Réunion publique jeudi."
    )


def _scheduled(org: Org) -> Post:
    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager)
    post.refresh_from_db()
    return post


def _published(org: Org) -> Post:
    post = _scheduled(org)
    services.post_start_publishing(post=post)
    links = [
        {"account": str(org.mastodon), "url": "https://m.test/1", "state": "published"},
        {"account": str(org.bluesky), "url": "https://b.test/1", "state": "published"},
    ]
    services.post_record_outcome(post_id=post.pk, published=True, details={"publications": links})
    post.refresh_from_db()
    return post


def test_post_withdraw_by_author_keeps_post_and_reason(org: Org) -> None:
    post = _draft(org)

    services.post_withdraw(post=post, by=org.officer, reason=REASON)

    post.refresh_from_db()
    assert post.state == S.WITHDRAWN
    event = post.events.last()
    assert event is not None and event.verb == "withdrawn"
    assert event.data["reason"] == REASON
    assert post.current_revision is not None  # nothing deleted


def test_post_withdraw_scheduled_leaves_the_schedule(org: Org) -> None:
    post = _scheduled(org)

    services.post_withdraw(post=post, by=org.manager, reason=REASON)

    post.refresh_from_db()
    assert post.state == S.WITHDRAWN
    assert post.scheduled_at is None
    assert post.events.last().data["unscheduled"]  # type: ignore[union-attr]
    notified = Notification.objects.filter(post=post, kind=Notification.Kind.WITHDRAWN)
    assert set(notified.values_list("recipient_id", flat=True)) == {org.officer.pk}


def test_post_withdraw_refuses_a_short_reason_and_changes_nothing(org: Org) -> None:
    post = _draft(org)

    with pytest.raises(services.EditorialError) as info:
        services.post_withdraw(post=post, by=org.officer, reason="non")

    assert "at least 10 characters" in info.value.message
    post.refresh_from_db()
    assert post.state == S.DRAFT


def test_post_withdraw_refused_to_someone_without_rights(org: Org) -> None:
    post = _draft(org)
    with pytest.raises(PermissionDenied):
        services.post_withdraw(post=post, by=org.outsider, reason=REASON)


def test_post_withdraw_refused_after_publication(org: Org) -> None:
    post = _published(org)
    with pytest.raises(services.TransitionRefused):
        services.post_withdraw(post=post, by=org.manager, reason=REASON)


def test_post_withdraw_refused_when_a_failed_post_reached_one_network(org: Org) -> None:
    post = _scheduled(org)
    services.post_start_publishing(post=post)
    links = [
        {"account": str(org.mastodon), "url": "https://m.test/1", "state": "published"},
        {"account": str(org.bluesky), "url": "", "state": "failed"},
    ]
    services.post_record_outcome(
        post_id=post.pk, published=False, details={"publications": links, "error": "down"}
    )
    post.refresh_from_db()

    with pytest.raises(services.TransitionRefused):
        services.post_withdraw(post=post, by=org.manager, reason=REASON)
    services.post_retract(post=post, by=org.manager, reason=REASON)  # the way out
    post.refresh_from_db()
    assert post.state == S.RETRACTED


def test_post_retract_by_publisher_audits_the_reason(org: Org) -> None:
    post = _published(org)

    services.post_retract(post=post, by=org.manager, reason=REASON)

    post.refresh_from_db()
    assert post.state == S.RETRACTED
    event = post.events.last()
    assert event is not None
    assert (event.verb, event.from_state, event.actor_id) == (
        "retracted",
        S.PUBLISHED,
        org.manager.pk,
    )
    assert event.data["reason"] == REASON


def test_post_retract_refused_to_the_author_without_publish_right(org: Org) -> None:
    post = _published(org)
    with pytest.raises(PermissionDenied):
        services.post_retract(post=post, by=org.officer, reason=REASON)


def test_post_retract_refused_before_publication(org: Org) -> None:
    post = _scheduled(org)
    with pytest.raises(services.TransitionRefused):
        services.post_retract(post=post, by=org.manager, reason=REASON)


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def test_views_withdraw_button_and_form(org: Org) -> None:
    post = _draft(org)
    client = _client(org.officer)
    page = client.get(reverse("editorial:post", args=[post.pk]))
    assert b'id="withdraw"' in page.content

    response = client.post(
        reverse("editorial:withdraw", args=[post.pk]), {"reason": REASON}, follow=True
    )

    post.refresh_from_db()
    assert post.state == S.WITHDRAWN
    assert b"Withdrawn: it will not be published." in response.content


def test_views_withdraw_without_reason_says_what_to_add(org: Org) -> None:
    post = _draft(org)
    response = _client(org.officer).post(
        reverse("editorial:withdraw", args=[post.pk]), {"reason": ""}, follow=True
    )
    post.refresh_from_db()
    assert post.state == S.DRAFT
    assert b"Say why you withdraw this post" in response.content


def test_views_retract_offered_to_publisher_not_author(org: Org) -> None:
    post = _published(org)
    url = reverse("editorial:post", args=[post.pk])
    assert b'id="retract"' in _client(org.manager).get(url).content
    assert b'id="retract"' not in _client(org.officer).get(url).content

    _client(org.manager).post(reverse("editorial:retract", args=[post.pk]), {"reason": REASON})

    post.refresh_from_db()
    assert post.state == S.RETRACTED
    assert b"deletion pending" in _client(org.manager).get(url).content


def test_views_retract_hidden_from_outsiders(org: Org) -> None:
    post = _published(org)
    response = _client(org.outsider).post(
        reverse("editorial:retract", args=[post.pk]), {"reason": REASON}
    )
    assert response.status_code == 404

"""The comment thread: who may write, who hears of a mention, how it reads on the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services
from editorial.models import AuditEvent, Comment, Notification, Post
from editorial.services import comments
from tests.conftest import Org
from tests.factories import make_user

K = Notification.Kind


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _draft(org: Org) -> Post:
    return services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet lundi.")


def test_mentioned_usernames_in_order_without_repeats_or_emails() -> None:
    body = "@manager voir avec @officer. Écrire à contact@mairie.fr puis @manager"
    assert comments.mentioned_usernames(body) == ["manager", "officer"]


def test_comment_add_stores_the_comment_on_the_current_revision(org: Org) -> None:
    post = _draft(org)
    comment = comments.comment_add(post=post, by=org.officer, body="  Relisez svp  ")
    assert (comment.body, comment.revision_id, comment.author) == (
        "Relisez svp",
        post.current_revision_id,
        org.officer,
    )


def test_comment_add_notifies_the_mentioned_member(org: Org) -> None:
    post = _draft(org)
    comment = comments.comment_add(post=post, by=org.officer, body="@manager un avis ?")
    note = Notification.objects.get(recipient=org.manager)
    assert (note.kind, note.post) == (K.MENTIONED, post)
    assert note.message == "Jeanne Dupont: @manager un avis ?"
    assert list(comment.mentions.all()) == [org.manager]


def test_comment_add_without_mention_notifies_nobody(org: Org) -> None:
    comments.comment_add(post=_draft(org), by=org.officer, body="Note pour moi.")
    assert not Notification.objects.exists()


def test_comment_add_refuses_a_mention_of_someone_who_cannot_see_the_post(org: Org) -> None:
    post = _draft(org)
    with pytest.raises(services.EditorialError, match="@outsider"):
        comments.comment_add(post=post, by=org.officer, body="@manager @outsider regardez")
    assert not Comment.objects.exists()
    assert not Notification.objects.exists()


def test_comment_add_refuses_an_unknown_name(org: Org) -> None:
    with pytest.raises(services.EditorialError, match="@nobody"):
        comments.comment_add(post=_draft(org), by=org.officer, body="@nobody ?")


def test_comment_add_refuses_an_inactive_member(org: Org) -> None:
    colleague = make_user(username="colleague", is_active=False)
    membership_create(user=colleague, unit=org.service, role=Membership.Role.AUTHOR)
    with pytest.raises(services.EditorialError, match="@colleague"):
        comments.comment_add(post=_draft(org), by=org.officer, body="@colleague ?")


def test_comment_add_forgives_the_case_of_a_name(org: Org) -> None:
    comment = comments.comment_add(post=_draft(org), by=org.officer, body="@Manager ?")
    assert list(comment.mentions.all()) == [org.manager]


def test_comment_add_does_not_notify_the_writer_of_their_own_mention(org: Org) -> None:
    comments.comment_add(post=_draft(org), by=org.officer, body="Moi, @officer, je relis.")
    assert not Notification.objects.exists()


def test_comment_add_refuses_someone_who_cannot_see_the_post(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        comments.comment_add(post=_draft(org), by=org.outsider, body="Bonjour")


def test_comment_add_refuses_an_empty_comment(org: Org) -> None:
    with pytest.raises(services.EditorialError, match="empty"):
        comments.comment_add(post=_draft(org), by=org.officer, body="   ")


def test_comment_add_appends_an_audit_event_with_the_mentions(org: Org) -> None:
    post = _draft(org)
    comment = comments.comment_add(post=post, by=org.officer, body="@manager ?")
    event = AuditEvent.objects.get(verb="commented")
    assert (event.post, event.actor, event.data["comment_id"]) == (post, org.officer, comment.pk)
    assert event.data["mentions"] == [{"id": org.manager.pk, "name": str(org.manager)}]


def test_comment_view_adds_and_redirects(org: Org) -> None:
    post = _draft(org)
    response = _client(org.officer).post(
        reverse("editorial:comment_add", args=[post.pk]), {"body": "Vu."}
    )
    assert response.status_code == 302
    assert post.comments.get().body == "Vu."


def test_comment_view_htmx_returns_the_thread_with_the_refusal(org: Org) -> None:
    post = _draft(org)
    response = _client(org.officer).post(
        reverse("editorial:comment_add", args=[post.pk]),
        {"body": "@outsider ?"},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert 'id="comment-error"' in page and "@outsider" in page
    assert "<html" not in page
    assert not post.comments.exists()


def test_comment_view_is_404_for_who_cannot_see_the_post(org: Org) -> None:
    post = _draft(org)
    response = _client(org.outsider).post(
        reverse("editorial:comment_add", args=[post.pk]), {"body": "Bonjour"}
    )
    assert response.status_code == 404
    assert not post.comments.exists()


def test_comment_view_refuses_get(org: Org) -> None:
    post = _draft(org)
    response = _client(org.officer).get(reverse("editorial:comment_add", args=[post.pk]))
    assert response.status_code == 405


def test_post_page_escapes_the_body_and_highlights_mentions(org: Org) -> None:
    post = _draft(org)
    comments.comment_add(post=post, by=org.officer, body="<script>x()</script> @manager")
    page = _client(org.manager).get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert "<script>x()</script>" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert '<span class="mention" title="Marc Leroy">@manager</span>' in page


def test_post_page_changes_banner_quotes_the_request_not_a_later_comment(org: Org) -> None:
    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    services.post_request_changes(post=post, by=org.manager, comment="Ajoutez l'horaire.")
    comments.comment_add(post=post, by=org.officer, body="Je m'en occupe.")
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk])).content.decode()
    banner = page.split('id="changes-requested"', 1)[1].split("</p>", 1)[0]
    assert "Ajoutez l&#x27;horaire." in banner
    assert "Je m" not in banner

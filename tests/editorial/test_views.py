from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from editorial import services
from editorial.models import Post, PostState
from tests.conftest import Org

PASSWORD = "correct horse battery"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(org: Org, text: str = "Texte sobre et utile.") -> Post:
    return services.post_create(by=org.officer, accounts=[org.mastodon], text=text)


def test_views_require_login(org: Org) -> None:
    response = Client().get(reverse("editorial:dashboard"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_views_post_hidden_from_other_units(org: Org) -> None:
    post = _post(org)
    response = _client(org.outsider).get(reverse("editorial:post", args=[post.pk]))
    assert response.status_code == 404


def test_views_outsider_cannot_approve(org: Org) -> None:
    post = _post(org)
    services.post_submit(post=post, by=org.officer)
    response = _client(org.outsider).post(reverse("editorial:approve", args=[post.pk]))
    assert response.status_code == 404
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW


def test_views_csrf_is_enforced(org: Org) -> None:
    post = _post(org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.officer)
    response = client.post(reverse("editorial:submit", args=[post.pk]))
    assert response.status_code == 403


def test_views_compose_creates_draft(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:compose"),
        {
            "accounts": [org.mastodon.pk],
            "text": "Bonjour à toutes et à tous.",
            "language": "fr",
            "save": "1",
        },
    )
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("editorial:post", args=[post.pk])
    assert post.state == PostState.DRAFT


def test_views_compose_submit_refused_keeps_draft_and_names_finding(org: Org) -> None:
    client = _client(org.officer)
    response = client.post(
        reverse("editorial:compose"),
        {"accounts": [org.mastodon.pk], "text": "a" * 520, "language": "fr", "submit": "1"},
        follow=True,
    )
    post = Post.objects.get()
    assert post.state == PostState.DRAFT
    assert post.current_revision is not None and post.current_revision.text == "a" * 520
    assert "500" in response.content.decode()


def test_views_live_check_counts_with_byline(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:live_check"),
        {"accounts": [org.mastodon.pk], "text": "Voir https://example.gouv.fr/une/longue/page"},
    )
    expected = len("Voir ") + 23 + len("\n\n— SICOM ^JD")
    assert f"<strong>{expected}</strong>" in response.content.decode()


def test_views_review_queue_excludes_own_posts(org: Org) -> None:
    post = _post(org)
    services.post_submit(post=post, by=org.officer)
    manager_page = _client(org.manager).get(reverse("editorial:queue")).content.decode()
    officer_page = _client(org.officer).get(reverse("editorial:queue")).content.decode()
    assert f"/posts/{post.pk}/" in manager_page
    assert f"/posts/{post.pk}/" not in officer_page


@pytest.mark.parametrize("name", ["editorial:dashboard", "editorial:queue", "editorial:compose"])
def test_views_pages_render(org: Org, name: str) -> None:
    assert _client(org.manager).get(reverse(name)).status_code == 200


def test_views_approve_and_schedule_uses_requested_time(org: Org) -> None:
    from datetime import timedelta

    from django.utils import timezone

    at = timezone.now() + timedelta(days=1)
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Demain.", requested_publish_at=at
    )
    services.post_submit(post=post, by=org.officer)
    _client(org.manager).post(
        reverse("editorial:approve", args=[post.pk]), {"and_schedule": "1", "revision": "1"}
    )
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert post.scheduled_at == at
    assert post.scheduled_by == org.manager


def test_views_speak_french_by_default_and_english_on_request(org: Org) -> None:
    client = _client(org.officer)
    french = client.get(reverse("editorial:dashboard")).content.decode()
    english = client.get(
        reverse("editorial:dashboard"), headers={"accept-language": "en"}
    ).content.decode()
    assert "Tableau de bord" in french
    assert "Dashboard" in english


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def _compose_with_image(org: Org, alt_text: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return _client(org.officer).post(
        reverse("editorial:compose"),
        {
            "accounts": [org.mastodon.pk],
            "text": "La carte des nouveaux guichets.",
            "language": "fr",
            "image": SimpleUploadedFile("carte.png", _png(), content_type="image/png"),
            "alt_text": alt_text,
            "submit": "1",
        },
        follow=True,
    )


def test_views_image_without_alt_text_is_refused_and_kept(org: Org) -> None:
    response = _compose_with_image(org, alt_text="")
    post = Post.objects.get()
    assert post.state == PostState.DRAFT
    assert post.current_revision is not None
    assert post.current_revision.media.count() == 1
    assert "carte.png" in response.content.decode()


def test_views_image_with_alt_text_is_submitted_and_served_privately(org: Org) -> None:
    _compose_with_image(org, alt_text="Carte de France avec les 12 nouveaux guichets.")
    post = Post.objects.get()
    assert post.state == PostState.IN_REVIEW
    media = post.current_revision.media.get()
    url = reverse("editorial:media", args=[post.pk, media.pk])
    assert _client(org.manager).get(url).status_code == 200
    assert _client(org.outsider).get(url).status_code == 404


def test_views_live_check_highlights_the_span_and_blocks_submit(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:live_check"),
        {
            "accounts": [org.mastodon.pk],
            "text": "Écrivez à jean.dupont@gmail.com pour tout savoir.",
        },
        headers={"accept-language": "en"},
    )
    page = response.content.decode()
    assert '<mark class="block"' in page
    assert ">jean.dupont@gmail.com</mark>" in page
    assert 'id="submit-for-review" disabled' in page
    assert 'hx-swap-oob="true"' in page
    assert "Submitting is blocked until you fix:" in page


def test_views_live_check_clean_text_leaves_submit_enabled(org: Org) -> None:
    page = (
        _client(org.officer)
        .post(
            reverse("editorial:live_check"),
            {"accounts": [org.mastodon.pk], "text": "Les guichets ouvrent lundi à 9 heures."},
        )
        .content.decode()
    )
    assert "<mark" not in page
    assert 'id="submit-for-review">' in page

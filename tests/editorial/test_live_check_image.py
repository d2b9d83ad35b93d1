"""The compose page's live check reports a missing text alternative as soon as an image is
attached, naming the image once ("L'image image" was the bug)."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Org

pytestmark = pytest.mark.django_db


def _live(org: Org, language: str = "en", **fields: str) -> str:
    client = Client()
    client.force_login(org.officer)
    data = {"accounts": [str(org.mastodon.pk)], "text": "Inauguration du centre.", **fields}
    response = client.post(
        reverse("editorial:live_check"), data, headers={"accept-language": language}
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_live_check_reports_missing_alt_of_a_just_attached_image(org: Org) -> None:
    page = _live(org, has_image="1", image_name="ruban.jpg")
    assert 'data-rule="media.alt_text"' in page
    assert "The image “ruban.jpg” has no text alternative" in page


def test_live_check_image_without_a_name_is_named_once(org: Org) -> None:
    page = _live(org, has_image="1")
    assert "This image has no text alternative" in page
    assert "image image" not in page


def test_live_check_keeps_only_the_file_name_of_a_browser_path(org: Org) -> None:
    page = _live(org, has_image="1", image_name="C:\\fakepath\\ruban.jpg")
    assert "“ruban.jpg”" in page
    assert "fakepath" not in page


def test_live_check_missing_alt_message_in_french(org: Org) -> None:
    page = _live(org, "fr", has_image="1", image_name="ruban.jpg")
    assert "L'image « ruban.jpg » n'a pas de texte alternatif" in page
    assert "L'image image" not in _live(org, "fr", has_image="1")


def test_live_check_no_finding_once_the_alt_is_typed(org: Org) -> None:
    page = _live(org, has_image="1", image_name="ruban.jpg", alt_text="La préfète coupe le ruban.")
    assert 'data-rule="media.alt_text"' not in page

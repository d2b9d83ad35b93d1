"""The identity pages: an account's public identity with the byline's live preview (its
unit's administrators), an agent's own public profile."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial.models import AuditEvent
from tests.conftest import Org
from tests.factories import make_user

SITE = "https://porte-voix.example.gouv.fr"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def admin(org: Org) -> User:
    user = make_user(username="unitadmin", first_name="Alice", last_name="Bernard")
    membership_create(user=user, unit=org.service, role=Membership.Role.ADMIN)
    return user


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _identity(**changes: str) -> dict[str, str]:
    return {
        "byline_template": "— {unit} ^{initials}",
        "public_description": "",
        "public_contact": "",
        "moderation_policy": "",
    } | changes


def test_account_identity_page_saves_and_records(org: Org, admin: User) -> None:
    url = reverse("publishing:account_identity", args=[org.mastodon.pk])
    data = _identity(
        byline_template="— {unit} ^{initials} · {account_url}",
        public_contact="https://mairie-exemple.fr/contact",
        moderation_policy="Réponses lues en semaine.",
    )
    response = _client(admin).post(url, data)
    assert response.status_code == 302
    org.mastodon.refresh_from_db()
    assert org.mastodon.byline_template == "— {unit} ^{initials} · {account_url}"
    assert org.mastodon.moderation_policy == "Réponses lues en semaine."
    assert AuditEvent.objects.get(verb="account_changed").actor == admin


def test_account_identity_page_shows_bad_input_in_words_and_keeps_it(org: Org, admin: User) -> None:
    url = reverse("publishing:account_identity", args=[org.mastodon.pk])
    data = _identity(byline_template="— {service} ^{initials}", public_contact="n'importe quoi")
    response = _client(admin).post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown placeholder {service}" in page
    assert "Give an e-mail address" in page
    assert "— {service} ^{initials}" in page  # what was typed is not lost
    org.mastodon.refresh_from_db()
    assert org.mastodon.byline_template == "— {unit} ^{initials}"


def test_account_identity_preview_button_saves_nothing(org: Org, admin: User) -> None:
    url = reverse("publishing:account_identity", args=[org.mastodon.pk])
    data = _identity(byline_template="— {unit} {url}") | {"preview": "1"}
    page = _client(admin).post(url, data).content.decode()
    assert f'— SICOM <a href="{SITE}/public/p/999999/"' in page
    org.mastodon.refresh_from_db()
    assert org.mastodon.byline_template == "— {unit} ^{initials}"


def test_byline_preview_renders_as_sent_and_counts_like_the_charter(org: Org, admin: User) -> None:
    url = reverse("publishing:account_byline_preview", args=[org.mastodon.pk])
    response = _client(admin).get(url, {"byline_template": "— {unit} ^{initials} {account_url}"})
    page = response.content.decode()
    link = f"{SITE}/public/a/{org.mastodon.pk}/"
    assert f'href="{link}"' in page
    assert "— SICOM ^AB" in page
    # Mastodon counts a link as 23 characters: "— SICOM ^AB " is 12.
    assert 'data-length="35"' in page


def test_byline_preview_on_bluesky_counts_the_link_in_full(org: Org, admin: User) -> None:
    url = reverse("publishing:account_byline_preview", args=[org.bluesky.pk])
    page = _client(admin).get(url, {"byline_template": "{account_url}"}).content.decode()
    assert f'data-length="{len(f"{SITE}/public/a/{org.bluesky.pk}/")}"' in page


def test_byline_preview_names_the_bad_placeholder(org: Org, admin: User) -> None:
    url = reverse("publishing:account_byline_preview", args=[org.mastodon.pk])
    page = _client(admin).get(url, {"byline_template": "{auteur}"}).content.decode()
    assert "Unknown placeholder {auteur}" in page


@pytest.mark.parametrize("name", ["account_identity", "account_byline_preview"])
def test_identity_pages_are_for_the_units_administrators(org: Org, name: str) -> None:
    url = reverse(f"publishing:{name}", args=[org.mastodon.pk])
    assert _client(org.manager).get(url).status_code == 403


def test_public_profile_page_saves_consent_and_function(org: Org) -> None:
    client = _client(org.officer)
    url = reverse("publishing:public_profile")
    response = client.post(
        url, {"job_title": "chargée de communication", "public_name_consent": "on"}
    )
    assert response.status_code == 302
    org.officer.refresh_from_db()
    assert org.officer.public_name_consent is True
    assert org.officer.job_title == "chargée de communication"
    page = client.get(url).content.decode()
    assert "Jeanne Dupont" in page and "chargée de communication" in page


def test_public_profile_page_withdraws_consent(org: Org) -> None:
    org.officer.public_name_consent = True
    org.officer.save()
    _client(org.officer).post(reverse("publishing:public_profile"), {"job_title": ""})
    org.officer.refresh_from_db()
    assert org.officer.public_name_consent is False
    assert AuditEvent.objects.get(verb="user_changed").actor == org.officer

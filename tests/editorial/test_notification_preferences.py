"""The page where a member chooses which notifications reach them by email."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from editorial import emails
from editorial.models import Notification, NotificationPreference
from tests.conftest import Org

K = Notification.Kind
URL = reverse("editorial:notification_preferences")


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def test_preferences_page_offers_every_kind_checked_by_default(org: Org) -> None:
    page = _client(org.officer).get(URL).content.decode()
    for value, _label in emails.kinds():
        assert f'name="email_{value}" id="id_email_{value}" checked' in page


def test_preferences_page_shows_own_failures_as_always_sent(org: Org) -> None:
    page = _client(org.officer).get(URL).content.decode()
    assert '<input type="checkbox" checked disabled aria-describedby="always-failed">' in page
    assert "Always sent" in page


def test_preferences_page_offers_a_kind_added_later(org: Org, monkeypatch: Any) -> None:
    monkeypatch.setattr(
        emails, "kinds", lambda: [*Notification.Kind.choices, ("overdue", "Consultation overdue")]
    )
    page = _client(org.officer).get(URL).content.decode()
    assert 'name="email_overdue"' in page and "Consultation overdue" in page


def test_preferences_page_saves_the_choice(org: Org) -> None:
    response = _client(org.officer).post(
        URL, {f"email_{K.APPROVED}": "on", f"email_{K.FAILED}": "on", "language": "en"}
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=org.officer)
    assert set(pref.email_muted) == set(Notification.Kind.values) - {K.APPROVED, K.FAILED}
    assert pref.language == "en"


def test_preferences_page_shows_the_saved_choice(org: Org) -> None:
    emails.notification_preferences_set(by=org.officer, emailed=[K.APPROVED])
    page = _client(org.officer).get(URL).content.decode()
    assert f'name="email_{K.APPROVED}" id="id_email_{K.APPROVED}" checked' in page
    assert f'name="email_{K.SUBMITTED}" id="id_email_{K.SUBMITTED}">' in page


def test_preferences_page_changes_only_the_members_own(org: Org) -> None:
    _client(org.officer).post(URL, {"language": ""})
    assert not NotificationPreference.objects.filter(user=org.manager).exists()


def test_preferences_page_requires_login(org: Org) -> None:
    assert Client().get(URL).status_code == 302


def test_preferences_page_warns_a_member_without_email(org: Org) -> None:
    org.officer.email = ""
    org.officer.save()
    assert 'id="no-email"' in _client(org.officer).get(URL).content.decode()

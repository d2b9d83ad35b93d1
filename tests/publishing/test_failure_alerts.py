"""A failed publication tells each reader why in their own language, what to change, and
offers the retry and the Accounts page only to those who may use them (fake network)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import emails
from editorial.models import Notification, Post
from publishing import services
from publishing.adapters.base import PublishError, Reason
from publishing.models import Publication
from publishing.services.late import publications_cancel_late
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

# The network's own words, in English: never the headline of a French page.
NETWORK_WORDS = "Server said no (422 Unprocessable Entity)"

# Per reason: its parameters, and a fragment of what it says in French and in English.
WORDS: dict[Reason, tuple[dict[str, Any], str, str]] = {
    Reason.NEEDS_RECONNECTION: (
        {},
        "Mastodon a refusé les identifiants du compte",
        "Mastodon refused the account&#x27;s credentials",
    ),
    Reason.RATE_LIMITED: (
        {},
        "Mastodon a demandé à Porte-voix de ralentir",
        "Mastodon asked Porte-voix to slow down",
    ),
    Reason.TOO_LONG: (
        {"limit": 500},
        "Le texte est plus long que ce que Mastodon accepte. 500 caractères au plus.",
        "The text is longer than Mastodon allows. At most 500 characters.",
    ),
    Reason.REJECTED: (
        {},
        "Mastodon a refusé le message comme invalide",
        "Mastodon refused the post as invalid",
    ),
    Reason.MEDIA_REFUSED: (
        {},
        "Mastodon a refusé une image du message",
        "Mastodon refused an image of the post",
    ),
    Reason.UNAVAILABLE: (
        {},
        "pas pu être joint ou n&#x27;a pas répondu à temps",
        "Mastodon could not be reached or did not answer in time",
    ),
    Reason.CANCELLED_LATE: (
        {"who": "Marc Leroy", "why": "trop tard pour la réunion"},
        "il était trop tard, et Marc Leroy l&#x27;a annulé",
        "it was too late, and Marc Leroy cancelled it",
    ),
    Reason.UNKNOWN: (
        {},
        "La publication a échoué pour une raison que Porte-voix n&#x27;a pas pu identifier",
        "The publication failed for a reason Porte-voix could not identify",
    ),
}


@pytest.fixture(autouse=True)
def _clock(frozen_now: datetime, email_worker: None) -> None:
    """Every "now" here is one frozen moment; the alerts' e-mails are sent in this process
    once their change commits, as the e-mail worker would."""


def _fail(org: Org, fake: FakeAdapter, capture: Any, reason: Reason, **params: Any) -> Post:
    """A post to Mastodon whose publication the network refuses for ``reason``; the alert's
    emails are sent (the commit callbacks run)."""
    fake.errors.append(PublishError(NETWORK_WORDS, permanent=True, reason=reason, params=params))
    post = scheduled(org, accounts=[org.mastodon])
    with capture(execute=False):
        queued = services.tick().queued
    with capture(execute=True):
        services.publication_send(publication_id=queued[0])
    post.refresh_from_db()
    return post


def _page(user: User, language: str, url: str) -> str:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode().replace("&nbsp;", "\u00a0")


def _mail_to(user: User) -> str:
    bodies = [str(m.body) for m in mail.outbox if m.to == [user.email]]
    assert len(bodies) == 1
    return bodies[0]


def test_failure_alert_stores_the_reason_code_where_it_is_read(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _fail(org, fake, django_capture_on_commit_callbacks, Reason.TOO_LONG, limit=500)
    publication = Publication.objects.get(post=post)
    assert (publication.last_error_reason, publication.last_error_params) == (
        "too_long",
        {"limit": 500},
    )
    note = Notification.objects.get(post=post, recipient=org.officer, kind=Notification.Kind.FAILED)
    assert note.data["failures"] == [
        {
            "account": str(org.mastodon),
            "part": 0,
            "state": "failed",
            "reason": "too_long",
            "params": {"limit": 500},
            "network": "mastodon",
            "account_id": org.mastodon.pk,
            "unit_id": org.service.pk,
            "error": NETWORK_WORDS,
        }
    ]
    assert [link.get("reason") for link in post.remote_links] == ["too_long"]


@pytest.mark.parametrize("reason", list(Reason))
def test_failure_alert_each_reason_reads_in_french_with_the_network_words_quoted_last(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, reason: Reason
) -> None:
    params, french, english = WORDS[reason]
    post = _fail(org, fake, django_capture_on_commit_callbacks, reason, **params)
    for url in (reverse("editorial:notifications"), reverse("editorial:post", args=[post.pk])):
        page = _page(org.officer, "fr", url)
        what = re.search(r'<span class="failure-what">(.*?)</span>', page)
        assert what is not None and french in what.group(1)
        assert english not in page
        # The network's English appears only quoted and marked as English, after the
        # reason (the banner, the list and the history alike), never as the headline.
        # (A late cancellation quotes no network: its words already say who and why.)
        quoted = f'<q lang="en">{NETWORK_WORDS}</q>'
        if reason == Reason.CANCELLED_LATE:
            assert NETWORK_WORDS not in page
            continue
        assert page.count(NETWORK_WORDS) == page.count(quoted) >= 1
        assert page.index(what.group(1)) < page.index(quoted)


@pytest.mark.parametrize("reason", list(Reason))
def test_failure_alert_each_reason_reads_in_english(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, reason: Reason
) -> None:
    params, french, english = WORDS[reason]
    _fail(org, fake, django_capture_on_commit_callbacks, reason, **params)
    page = _page(org.officer, "en", reverse("editorial:notifications"))
    assert english in page
    assert french not in page


def test_failure_alert_email_in_each_recipients_language(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    kinds = [value for value, _label in emails.kinds()]
    emails.notification_preferences_set(by=org.officer, emailed=kinds, language="fr")
    emails.notification_preferences_set(by=org.manager, emailed=kinds, language="en")
    _fail(org, fake, django_capture_on_commit_callbacks, Reason.TOO_LONG, limit=500)
    french = _mail_to(org.officer)
    assert "Le texte est plus long que ce que Mastodon accepte." in french
    assert "retirez ce message et rédigez-en un plus court" in french
    assert f"Réponse du réseau\u00a0: “{NETWORK_WORDS}”" in french
    assert french.index("Le texte est plus long") < french.index(NETWORK_WORDS)
    assert "The text is longer" not in french
    assert "The text is longer than Mastodon allows." in _mail_to(org.manager)


def test_failure_alert_retry_offered_to_publishers_only(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _fail(org, fake, django_capture_on_commit_callbacks, Reason.UNAVAILABLE)
    retry_url = reverse("editorial:post", args=[post.pk]) + "#retry"
    # The manager publishes on the account; the officer wrote the post and cannot retry it.
    assert f'href="{retry_url}"' in _page(org.manager, "en", reverse("editorial:notifications"))
    assert "retry-link" not in _page(org.officer, "en", reverse("editorial:notifications"))
    assert retry_url in _mail_to(org.manager)
    assert "#retry" not in _mail_to(org.officer)
    post_url = reverse("editorial:post", args=[post.pk])
    assert 'id="retry"' in _page(org.manager, "en", post_url)
    assert 'id="retry"' not in _page(org.officer, "en", post_url)


def test_failure_alert_retry_link_gone_once_retried(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    from editorial import services as editorial

    post = _fail(org, fake, django_capture_on_commit_callbacks, Reason.UNAVAILABLE)
    editorial.post_retry(post=post, by=org.manager)
    assert "retry-link" not in _page(org.manager, "en", reverse("editorial:notifications"))


def test_failure_alert_needs_reconnection_links_the_accounts_page_for_its_administrators(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    membership_create(user=org.manager, unit=org.service, role=Membership.Role.ADMIN)
    _fail(org, fake, django_capture_on_commit_callbacks, Reason.NEEDS_RECONNECTION)
    accounts = reverse("publishing:accounts")
    admin_page = _page(org.manager, "fr", reverse("editorial:notifications"))
    assert f'<a class="reconnect" href="{accounts}">Le reconnecter sur la page Comptes</a>' in (
        admin_page
    )
    site = str(settings.SITE_URL).rstrip("/")
    assert f"Le reconnecter sur la page Comptes\u00a0: {site}{accounts}" in _mail_to(org.manager)
    # The author cannot open the Accounts page: told whom to ask instead.
    author_page = _page(org.officer, "en", reverse("editorial:notifications"))
    assert 'class="reconnect"' not in author_page
    assert "Ask an administrator of the unit to reconnect it." in author_page
    assert accounts not in _mail_to(org.officer)
    # The site's language, French, for a member who chose none.
    assert "Demandez à un administrateur du service de le reconnecter." in _mail_to(org.officer)


def test_failure_alert_without_reconnection_offers_no_accounts_link(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    membership_create(user=org.manager, unit=org.service, role=Membership.Role.ADMIN)
    _fail(org, fake, django_capture_on_commit_callbacks, Reason.RATE_LIMITED)
    assert 'class="reconnect"' not in _page(org.manager, "en", reverse("editorial:notifications"))
    assert reverse("publishing:accounts") not in _mail_to(org.manager)


def test_failure_alert_of_a_late_cancellation_names_who_and_why_in_french(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PUBLISH_LATE_AFTER_MINUTES = 30
    post = scheduled(org, accounts=[org.mastodon])
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            services.tick()
        with django_capture_on_commit_callbacks(execute=True):
            publications_cancel_late(
                post=post, by=org.manager, reason="L'événement annoncé est passé."
            )
    publication = Publication.objects.get(post=post)
    assert publication.last_error_reason == "cancelled_late"
    page = _page(org.officer, "fr", reverse("editorial:notifications"))
    assert (
        "Non publié\u00a0: il était trop tard, et Marc Leroy l&#x27;a annulé\u00a0: "
        "L&#x27;événement annoncé est passé."
    ) in page
    assert "failure-detail" not in page  # no "network's answer": no network answered

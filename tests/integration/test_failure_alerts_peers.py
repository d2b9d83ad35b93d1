"""Against the real peers: a revoked Mastodon token and a wrong Bluesky app password fail the
publication as "needs reconnection", and the people told read it in French with the way out."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.services import membership_create
from editorial import emails
from editorial import services as editorial
from editorial.models import Notification, PostState
from publishing import services
from publishing.models import Publication, PublicationState
from tests.integration.test_publishing_network_options import _connect

pytestmark = pytest.mark.django_db


def test_failure_alert_refused_credentials_read_as_needs_reconnection_in_french(
    bluesky_peer: Any,
    mastodon_peer: Any,
    django_capture_on_commit_callbacks: Any,
    email_worker: None,
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    for account, secret in ((ctx["mastodon"], "revoked-token"), (ctx["bluesky"], "wrong-pass")):
        account.set_credentials({"secret": secret})
        account.save()
    # The manager administers the unit (the Accounts page is theirs); the officer does not.
    membership_create(user=ctx["manager"], unit=ctx["mastodon"].unit, role=Membership.Role.ADMIN)
    kinds = [value for value, _label in emails.kinds()]
    emails.notification_preferences_set(by=ctx["officer"], emailed=kinds, language="fr")
    post = editorial.post_create(
        by=ctx["officer"], accounts=[ctx["mastodon"], ctx["bluesky"]], text="Bonjour."
    )
    editorial.post_submit(post=post, by=ctx["officer"])
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.tick().queued
    with django_capture_on_commit_callbacks(execute=True):
        for pk in queued:
            services.publication_send(publication_id=pk)

    publications = Publication.objects.filter(post=post)
    assert {(p.state, p.last_error_reason) for p in publications} == {
        (PublicationState.FAILED, "needs_reconnection")
    }
    post.refresh_from_db()
    assert post.state == PostState.FAILED
    alert = Notification.objects.get(
        post=post, kind=Notification.Kind.FAILED, recipient=ctx["officer"]
    )
    assert sorted(f["reason"] for f in alert.data["failures"]) == ["needs_reconnection"] * 2
    assert sorted(f["network"] for f in alert.data["failures"]) == ["bluesky", "mastodon"]

    client = Client(headers={"accept-language": "fr"})
    client.force_login(ctx["officer"])
    page = client.get(reverse("editorial:notifications")).content.decode()
    for network in ("Mastodon", "Bluesky"):
        assert f'<span class="failure-what">{network} a refusé les identifiants du compte' in page
    assert "Demandez à un administrateur du service de le reconnecter." in page
    assert 'class="reconnect"' not in page
    assert "retry-link" not in page  # the author cannot retry

    [to_officer] = [m.body for m in mail.outbox if m.to == [ctx["officer"].email]]
    assert "Mastodon a refusé les identifiants du compte" in to_officer
    assert "Bluesky a refusé les identifiants du compte" in to_officer
    assert to_officer.index("a refusé les identifiants") < to_officer.index("Réponse du réseau")
    [to_manager] = [m.body for m in mail.outbox if m.to == [ctx["manager"].email]]
    assert reverse("publishing:accounts") in to_manager
    assert f"{reverse('editorial:post', args=[post.pk])}#retry" in to_manager

"""A revoked token fails the publication with the action to take, flags the account until it
is reconnected, and is never retried."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, SocialAccount
from accounts.services import membership_create, social_account_connect
from editorial import services as editorial
from editorial.models import Notification, PostState
from publishing import services
from publishing.models import Attempt, Publication, PublicationState
from tests.factories import make_user
from tests.integration.test_publishing_network_options import _connect

pytestmark = pytest.mark.django_db


def test_revoked_mastodon_token_fails_once_and_flags_the_account(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    account: SocialAccount = ctx["mastodon"]
    account.set_credentials({"secret": "revoked-token"})
    account.save()
    post = editorial.post_create(by=ctx["officer"], accounts=[account], text="Bonjour.")
    editorial.post_submit(post=post, by=ctx["officer"])
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.tick().queued

    assert services.publication_send(publication_id=queued[0]) == PublicationState.FAILED

    publication = Publication.objects.get(post=post)
    assert Attempt.objects.filter(publication=publication).count() == 1  # never retried
    post.refresh_from_db()
    assert post.state == PostState.FAILED
    assert "reconnect the account" in post.last_error
    alert = Notification.objects.get(
        post=post, kind=Notification.Kind.FAILED, recipient=ctx["officer"]
    )
    assert "reconnect the account" in alert.message
    account.refresh_from_db()
    assert account.needs_reconnection_since is not None

    admin = make_user(username="chef")
    membership_create(user=admin, unit=account.unit, role=Membership.Role.ADMIN)
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin)
    assert b"Needs reconnection since" in client.get(reverse("publishing:accounts")).content

    social_account_connect(
        network=account.network,
        server_url=account.server_url,
        handle=account.handle,
        unit=account.unit,
        credentials={"secret": ctx["token"]},
    )
    account.refresh_from_db()
    assert account.needs_reconnection_since is None

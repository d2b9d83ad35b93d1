"""Servers of the Mastodon API that are not Mastodon, imitated with the mock: behind a proxy
that strips ``Idempotency-Key`` (GoToSocial and Takahē ignore it), with Mastodon's scope
checks per endpoint on, other limits, another software name, and the version string
``v0.20.0-rc1`` that Mastodon.py could not parse.

Exactly once must then rest on the lookup: after a lost answer the status is looked up
before any resend; without ``read:statuses`` the lookup is refused, and the publication
waits, its account flagged for reconnection, never resent blindly.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership, SocialAccount
from accounts.services import membership_create, social_account_create
from editorial import services as editorial
from editorial.services import CharterRefused
from peers.mastodon import MastodonPeer
from peers.proxy import Fault, FaultProxy
from publishing import services
from publishing.adapters.base import Credentials, MediaItem, OutgoingPost, PublishError
from publishing.adapters.connect import MASTODON_SCOPES
from publishing.adapters.mastodon import MastodonAdapter, text_of_html
from publishing.models import Attempt, Publication, PublicationState
from publishing.services.connection import account_check_connection
from tests.factories import make_unit, make_user
from tests.integration.peer_fixtures import serving

pytestmark = pytest.mark.django_db

P = PublicationState
OLD_SCOPES = ["write:statuses", "write:media", "read:accounts"]  # before read:statuses
WRITE = "/api/v1/statuses"
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def other_server() -> Iterator[MastodonPeer]:
    """A GoToSocial-like server: scopes checked, 280 characters, 25 per link advertised,
    NodeInfo says gotosocial, every version string is v0.20.0-rc1."""
    peer = MastodonPeer(
        enforce_scopes=True,
        max_characters=280,
        characters_reserved_per_url=25,
        software="gotosocial",
        version="v0.20.0-rc1",
    )
    yield from serving(peer, "the GoToSocial-like Mastodon peer")


@pytest.fixture
def keyless(other_server: MastodonPeer) -> Iterator[FaultProxy]:
    """The server as GoToSocial behaves: Idempotency-Key never reaches it."""
    with FaultProxy(other_server.url, strip_request_headers={"Idempotency-Key"}) as proxy:
        yield proxy


def _org(server_url: str, token: str, username: str) -> dict[str, Any]:
    unit = make_unit()
    officer = make_user(first_name="Jeanne", last_name="Dupont")
    manager = make_user(first_name="Marc", last_name="Leroy")
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=unit, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=unit, role=Membership.Role.PUBLISHER)
    account = social_account_create(
        network=SocialAccount.Network.MASTODON,
        server_url=server_url,
        handle=username,
        unit=unit,
        credentials={"secret": token},
    )
    return {"officer": officer, "manager": manager, "account": account}


def _due_publication(ctx: dict[str, Any], text: str, capture: Any) -> Publication:
    post = editorial.post_create(by=ctx["officer"], accounts=[ctx["account"]], text=text)
    report = editorial.post_submit(post=post, by=ctx["officer"])
    assert report.ok, report
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    with capture(execute=False):
        (pk,) = services.tick().queued
    return Publication.objects.get(pk=pk)


def _send_again(publication: Publication) -> PublicationState:
    """The tick's next claim, without waiting for the backoff."""
    Publication.objects.filter(pk=publication.pk).update(
        state=P.QUEUED, next_attempt_at=timezone.now()
    )
    return services.publication_send(publication_id=publication.pk)


def _on_server(peer: MastodonPeer, username: str, marker: str) -> int:
    token = peer.create_token(username, scopes=["read"])
    api = peer.client(token)
    me = api.account_verify_credentials()
    statuses = api.fetch_remaining(api.account_statuses(me["id"], limit=40))
    return sum(marker in text_of_html(s["content"] or "") for s in statuses)


def test_peer_behind_the_stripping_proxy_really_ignores_the_key(
    other_server: MastodonPeer, keyless: FaultProxy
) -> None:
    """What the tests below stand on: the same payload sent twice makes two statuses."""
    username = f"pv{secrets.token_hex(4)}"
    token = other_server.create_token(username, scopes=MASTODON_SCOPES)
    adapter = MastodonAdapter(timeout=5, allow_http=True)
    credentials = Credentials(server_url=keyless.url, handle=username, secret=token)
    marker = secrets.token_hex(4)
    post = OutgoingPost(text=f"Envoyé deux fois {marker}.", language="fr")
    payload = adapter.prepare(credentials, post, idempotency_key="same-key")
    first = adapter.publish(credentials, payload, post)
    second = adapter.publish(credentials, payload, post)
    assert first.remote_id != second.remote_id
    assert keyless.stripped["idempotency-key"] == 2
    assert _on_server(other_server, username, marker) == 2


def test_answer_lost_after_accept_on_a_keyless_server_posts_exactly_once(
    other_server: MastodonPeer, keyless: FaultProxy, django_capture_on_commit_callbacks: Any
) -> None:
    username = f"pv{secrets.token_hex(4)}"
    ctx = _org(keyless.url, other_server.create_token(username, scopes=MASTODON_SCOPES), username)
    marker = secrets.token_hex(4)
    publication = _due_publication(
        ctx, f"Réponse perdue {marker}.", django_capture_on_commit_callbacks
    )
    keyless.add_rule(Fault.dropped(), count=1, methods={"POST"}, path=WRITE)

    assert services.publication_send(publication_id=publication.pk) == P.PENDING
    first = Attempt.objects.get(publication=publication)
    assert first.outcome == Attempt.Outcome.UNKNOWN
    publication.refresh_from_db()
    # The lookup waits for a request that may still be on its way (2 x the timeout).
    assert publication.next_attempt_at >= first.started_at + timedelta(seconds=9)
    assert _on_server(other_server, username, marker) == 1  # the server did write it

    assert _send_again(publication) == P.PUBLISHED
    last = Attempt.objects.filter(publication=publication).last()
    assert last is not None and last.found_by_lookup
    assert _on_server(other_server, username, marker) == 1
    assert keyless.stripped["idempotency-key"] == 1  # the first and only POST


def test_lookup_without_read_statuses_holds_the_post_and_asks_for_reconnection(
    other_server: MastodonPeer, keyless: FaultProxy, django_capture_on_commit_callbacks: Any
) -> None:
    username = f"pv{secrets.token_hex(4)}"
    ctx = _org(keyless.url, other_server.create_token(username, scopes=OLD_SCOPES), username)
    marker = secrets.token_hex(4)
    publication = _due_publication(
        ctx, f"Sans droit de lecture {marker}.", django_capture_on_commit_callbacks
    )
    keyless.add_rule(Fault.dropped(), count=1, methods={"POST"}, path=WRITE)
    assert services.publication_send(publication_id=publication.pk) == P.PENDING

    # The lookup is refused (403): not a refusal of the post, not "absent", no resend.
    assert _send_again(publication) == P.PENDING
    publication.refresh_from_db()
    attempts = list(Attempt.objects.filter(publication=publication).order_by("number"))
    assert [a.outcome for a in attempts] == [Attempt.Outcome.UNKNOWN] * 2
    assert "refused the post" not in publication.last_error
    assert "read:statuses" in publication.last_error
    assert "reconnect the account" in publication.last_error
    # Not before the 15 minutes the refused lookup asks for, counted from that attempt.
    assert publication.next_attempt_at >= attempts[1].started_at + timedelta(minutes=15)
    account = SocialAccount.objects.get(pk=ctx["account"].pk)
    assert account.needs_reconnection_since is not None
    assert account.missing_scopes == ["read:statuses"]
    assert keyless.stripped["idempotency-key"] == 1  # nothing was sent again
    assert _on_server(other_server, username, marker) == 1

    # Reconnected with the new permission: the next attempt finds the status.
    account.set_credentials({"secret": other_server.create_token(username, scopes=MASTODON_SCOPES)})
    account.save()
    assert _send_again(publication) == P.PUBLISHED
    assert Attempt.objects.filter(publication=publication).last().found_by_lookup  # type: ignore[union-attr]
    assert _on_server(other_server, username, marker) == 1


def test_test_connection_reads_the_software_limits_and_missing_scopes(
    other_server: MastodonPeer,
) -> None:
    username = f"pv{secrets.token_hex(4)}"
    ctx = _org(
        other_server.url, other_server.create_token(username, scopes=MASTODON_SCOPES), username
    )
    account: SocialAccount = ctx["account"]
    assert account.length_counting == "conservative"  # not detected yet

    account_check_connection(account_id=account.pk)
    account.refresh_from_db()
    info = account.server_info
    assert (info["software"], info["version"]) == ("gotosocial", "v0.20.0-rc1")
    assert (account.max_characters, account.characters_reserved_per_url) == (280, 25)
    assert (info["counting"], info["honours_idempotency_key"]) == ("codepoints", False)
    assert info["missing_scopes"] == [] and account.needs_reconnection_since is None

    account.set_credentials({"secret": other_server.create_token(username, scopes=OLD_SCOPES)})
    account.save()
    with pytest.raises(PublishError) as refused:
        account_check_connection(account_id=account.pk)
    assert "read:statuses" in refused.value.message
    assert "Reconnect the account" in refused.value.message
    account.refresh_from_db()
    assert account.needs_reconnection_since is not None
    assert account.missing_scopes == ["read:statuses"]


def test_charter_counts_as_the_detected_server_does(other_server: MastodonPeer) -> None:
    """230 characters and a 58-character link: under 280 with the byline on Mastodon's count
    (link = 25 as advertised), over 280 in GoToSocial's (link in full)."""
    username = f"pv{secrets.token_hex(4)}"
    ctx = _org(
        other_server.url, other_server.create_token(username, scopes=MASTODON_SCOPES), username
    )
    account_check_connection(account_id=ctx["account"].pk)
    text = "x" * 230 + " https://www.service-public.fr/particuliers/vosdroits/F1234"
    post = editorial.post_create(by=ctx["officer"], accounts=[ctx["account"]], text=text)
    with pytest.raises(CharterRefused) as refused:
        editorial.post_submit(post=post, by=ctx["officer"])
    (finding,) = [f for f in refused.value.report.blocking if f.rule == "len.mastodon"]
    assert "links in full" in finding.message and "limit is 280" in finding.message


def test_image_and_status_on_a_server_reporting_v0_20_0_rc1(other_server: MastodonPeer) -> None:
    """Mastodon.py used to parse that version string inside media_post and raise
    ValueError; the client now never reads it."""
    username = f"pv{secrets.token_hex(4)}"
    token = other_server.create_token(username, scopes=MASTODON_SCOPES)
    adapter = MastodonAdapter(timeout=5, allow_http=True)
    credentials = Credentials(server_url=other_server.url, handle=username, secret=token)
    post = OutgoingPost(
        text="Avec une image.",
        language="fr",
        media=(MediaItem(data=PIXEL, mime_type="image/png", alt_text="Un point."),),
    )
    ref = adapter.publish(
        credentials, adapter.prepare(credentials, post, idempotency_key="img"), post
    )
    status = other_server.client(token).status(ref.remote_id)
    assert [m["description"] for m in status["media_attachments"]] == ["Un point."]

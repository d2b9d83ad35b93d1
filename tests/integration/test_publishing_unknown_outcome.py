"""Unknown outcomes against the real peers: the answer to a successful send is lost, and the
next attempt finds the post (Bluesky getRecord; Mastodon by text fingerprint among the
account's statuses, inside the idempotency-key window as beyond it) instead of posting it
again."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mastodon import Mastodon

from editorial import services as editorial
from publishing import services
from publishing.adapters.base import Credentials, OutgoingPost, PreparedPayload, PublishError
from publishing.adapters.bluesky import BlueskyAdapter
from publishing.adapters.mastodon import MastodonAdapter, text_fingerprint, text_of_html
from publishing.models import Attempt, Publication, PublicationState
from tests.integration.test_adapters import closed_port_url
from tests.integration.test_publishing_on_time import _connect

pytestmark = pytest.mark.django_db

P = PublicationState


def _published_once(ctx: dict[str, Any], account: Any, capture: Any) -> Publication:
    # Enough French words that the random tag can never tip the language check to English.
    text = (
        "Réponse perdue : ce message de la préfecture ne doit paraître qu'une seule fois "
        f"sur le réseau (repère {secrets.token_hex(4)})."
    )
    post = editorial.post_create(by=ctx["officer"], accounts=[account], text=text, language="fr")
    editorial.post_submit(post=post, by=ctx["officer"])
    editorial.post_approve(post=post, by=ctx["manager"])
    editorial.post_schedule(post=post, by=ctx["manager"])
    with capture(execute=False):
        (pk,) = services.tick().queued
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    return Publication.objects.get(pk=pk)


def _lose_the_answer(pub: Publication, **payload_changes: Any) -> None:
    """As if the server accepted the post but its answer never came back."""
    payload = {**(pub.payload or {}), **payload_changes}
    Publication.objects.filter(pk=pub.pk).update(
        state=P.QUEUED, remote_id="", remote_url="", published_at=None, payload=payload
    )
    Attempt.objects.filter(publication=pub).update(
        outcome=Attempt.Outcome.UNKNOWN, error="read timeout", acknowledged_at=None
    )


def _statuses_like(ctx: dict[str, Any], url: str, pub: Publication) -> int:
    api = Mastodon(access_token=ctx["token"], api_base_url=url)
    me = api.account_verify_credentials()
    wanted = text_fingerprint(pub.text)
    return sum(
        text_fingerprint(text_of_html(s["content"])) == wanted
        for s in api.account_statuses(me["id"], limit=40)
    )


def _resent(pub: Publication) -> Attempt:
    assert services.publication_send(publication_id=pub.pk) == P.PUBLISHED
    again = Publication.objects.get(pk=pub.pk)
    assert (again.remote_id, again.remote_url) == (pub.remote_id, pub.remote_url)
    last = Attempt.objects.filter(publication=pub).last()
    assert last is not None
    return last


def test_bluesky_lost_answer_found_by_get_record_without_second_post(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    pub = _published_once(ctx, ctx["bluesky"], django_capture_on_commit_callbacks)
    _lose_the_answer(pub)
    assert _resent(pub).found_by_lookup
    client = bluesky_peer.client(ctx["bsky"])
    records = client.com.atproto.repo.list_records(
        {"repo": ctx["bsky"].did, "collection": "app.bsky.feed.post"}
    ).records
    assert len(records) == 1


def test_mastodon_lost_answer_beyond_key_window_found_by_fingerprint(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ctx = _connect(bluesky_peer, mastodon_peer)
    pub = _published_once(ctx, ctx["mastodon"], django_capture_on_commit_callbacks)
    # The first attempt was prepared two hours ago: the server no longer knows the key.
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    _lose_the_answer(pub, prepared_at=two_hours_ago)
    assert _resent(pub).found_by_lookup
    assert _statuses_like(ctx, mastodon_peer.url, pub) == 1


def test_mastodon_lost_answer_inside_key_window_is_looked_up_before_any_resend(
    bluesky_peer: Any, mastodon_peer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The key is the second line of defence only: servers other than Mastodon ignore it."""
    ctx = _connect(bluesky_peer, mastodon_peer)
    pub = _published_once(ctx, ctx["mastodon"], django_capture_on_commit_callbacks)
    _lose_the_answer(pub)
    assert _resent(pub).found_by_lookup
    assert _statuses_like(ctx, mastodon_peer.url, pub) == 1


def test_bluesky_lookup_absent_then_present(bluesky_peer: Any, bluesky_account: Any) -> None:
    adapter = BlueskyAdapter(timeout=5, allow_http=True)
    credentials = Credentials(
        server_url=bluesky_peer.url,
        handle=bluesky_account.handle,
        secret=bluesky_account.app_password,
    )
    post = OutgoingPost(text="Cherché avant d'être envoyé.", language="fr")
    payload = adapter.prepare(credentials, post, idempotency_key="unused")
    assert adapter.lookup(credentials, payload) is None
    ref = adapter.publish(credentials, payload, post)
    found = adapter.lookup(credentials, payload)
    assert found is not None
    assert (found.remote_id, found.url, found.extra["cid"]) == (
        ref.remote_id,
        ref.url,
        ref.extra["cid"],
    )


def test_mastodon_lookup_beyond_window_misses_a_status_never_posted(
    mastodon_peer: Any, mastodon_token: str
) -> None:
    adapter = MastodonAdapter(timeout=5, allow_http=True)
    credentials = Credentials(server_url=mastodon_peer.url, handle="x", secret=mastodon_token)
    adapter.publish(
        credentials,
        adapter.prepare(
            credentials,
            OutgoingPost(text="Un autre message.", language="fr"),
            idempotency_key="other",
        ),
        OutgoingPost(text="Un autre message.", language="fr"),
    )
    post = OutgoingPost(text="Jamais parti.", language="fr")
    payload = adapter.prepare(credentials, post, idempotency_key="never")
    payload.data["prepared_at"] = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    assert adapter.lookup(credentials, payload) is None


def test_mastodon_read_timeout_is_unknown_then_lookup_and_resend_post_once(
    mastodon_peer: Any, mastodon_token: str
) -> None:
    """A real read timeout. The peer abandons a request whose client went away (so the
    status is not created: the lost-answer tests above cover the created case); the lookup
    then says absent and the resend posts exactly once."""
    adapter = MastodonAdapter(timeout=0.5, allow_http=True)
    credentials = Credentials(server_url=mastodon_peer.url, handle="x", secret=mastodon_token)
    post = OutgoingPost(text=f"Réponse trop lente {secrets.token_hex(4)}.", language="fr")
    payload = adapter.prepare(credentials, post, idempotency_key=secrets.token_hex(8))
    mastodon_peer.add_fault(
        {
            "match": {"path": "/api/v1/statuses", "methods": ["POST"]},
            "effect": {"type": "latency", "delay_ms": 1500},
            "count": 1,
        }
    )
    try:
        with pytest.raises(PublishError) as info:
            adapter.publish(credentials, payload, post)
    finally:
        mastodon_peer.clear_faults()
    assert info.value.maybe_sent and not info.value.permanent

    time.sleep(1.5)  # past the server's delay
    payload.data["prepared_at"] = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    assert adapter.lookup(credentials, payload) is None
    ref = adapter.publish(credentials, payload, post)
    found = adapter.lookup(credentials, payload)
    assert found is not None and found.remote_id == ref.remote_id


def test_mastodon_refused_connection_is_not_unknown(mastodon_token: str) -> None:
    adapter = MastodonAdapter(timeout=2, allow_http=True)
    credentials = Credentials(server_url=closed_port_url(), handle="x", secret=mastodon_token)
    post = OutgoingPost(text="Personne n'écoute.", language="fr")
    payload = adapter.prepare(credentials, post, idempotency_key="k")
    with pytest.raises(PublishError) as info:
        adapter.publish(credentials, payload, post)
    assert not info.value.maybe_sent


def test_bluesky_refused_connection_is_not_unknown() -> None:
    adapter = BlueskyAdapter(timeout=2, allow_http=True)
    credentials = Credentials(server_url=closed_port_url(), handle="x.test", secret="p")
    post = OutgoingPost(text="Personne n'écoute.", language="fr")
    payload = PreparedPayload(data={"rkey": "3jzfcijpj2z2a", "record": {"text": post.text}})
    with pytest.raises(PublishError) as info:
        adapter.publish(credentials, payload, post)
    assert not info.value.maybe_sent

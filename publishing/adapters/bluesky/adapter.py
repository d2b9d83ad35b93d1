"""Bluesky adapter (atproto SDK 0.0.73): one record per publication, whatever the attempts.

Idempotency is built into the payload: ``prepare`` picks a TID record key and freezes the
whole ``app.bsky.feed.post`` record (``createdAt`` included); ``publish`` writes it with
``com.atproto.repo.putRecord`` and ``swapRecord: null``
(https://docs.bsky.app/docs/api/com-atproto-repo-put-record), which the PDS answers with:
created if the key is free, a no-op (same uri and cid) if the identical record is there,
``400 InvalidSwap`` if something else is. See ``../shared/docs/test-peers.md``.

A post with a reply gate is two records under one key, the post and its
``app.bsky.feed.threadgate``: both are created by one ``com.atproto.repo.applyWrites`` (one
commit), so the post is never public without its gate. ``applyWrites`` has no
``swapRecord``; a repeat of the same ``create`` fails the commit (500 on the reference PDS)
and writes nothing, so after any answer that may hide a write the adapter reads both keys
back (``getRecord``) and takes identical records as its own.

Sessions are reused (``createSession`` is limited to 30 per 5 minutes per account): the
caller gives the stored session string and gets new ones through ``on_session_change``.
"""

from __future__ import annotations

import base64
import functools
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import certifi
from atproto_client import Client, Session, SessionEvent, models  # type: ignore[import-untyped]
from atproto_client.exceptions import (  # type: ignore[import-untyped]
    BadRequestError,
)
from atproto_client.request import Request  # type: ignore[import-untyped]
from atproto_core.uri import AtUri  # type: ignore[import-untyped]

from ..base import (
    Credentials,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
    PublishError,
    checked_server_url,
)
from ..links import bluesky_post_url
from .card import CardUnavailable, LinkCard, fetch_card
from .errors import (
    SDK_ERRORS,
    classify_bluesky_error,
    is_dead_session,
    may_have_written,
)
from .facets import build_facets, first_link
from .images import blob_cid, fit_images, images_embed
from .options import (
    THREADGATE_COLLECTION,
    threadgate_record,
)
from .records import (
    create_records,
    get_record,
    iso_millis,
    new_tid,
    post_record,
    put_record,
    upload_card_thumb,
    upload_images,
)

# Re-exported: callers and tests know these from here.
__all__ = [
    "BlueskyAdapter",
    "blob_cid",
    "classify_bluesky_error",
    "images_embed",
    "is_dead_session",
    "may_have_written",
]

T = TypeVar("T")

SessionCallback = Callable[[str], None]

POST_COLLECTION = "app.bsky.feed.post"
# Fetching a link card's page and image at prepare time: a slow site only loses its card.
CARD_TIMEOUT = 5.0


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate store, loaded once per process (SSL contexts are thread-safe)."""
    return ssl.create_default_context(cafile=certifi.where())


class BlueskyAdapter:
    network = "bluesky"

    def __init__(
        self,
        *,
        timeout: float,
        allow_http: bool = False,
        on_session_change: SessionCallback | None = None,
    ) -> None:
        self.timeout = timeout
        self.allow_http = allow_http
        self.on_session_change = on_session_change

    # --- plumbing ------------------------------------------------------------------------

    def _client(self, credentials: Credentials) -> Client:
        url = checked_server_url(credentials.server_url, allow_http=self.allow_http)
        # One TLS context for every client: building one loads the CA bundle (~20 ms a post).
        client = Client(base_url=url, request=Request(timeout=self.timeout, verify=tls_context()))
        client.on_session_change(self._session_changed)
        return client

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        # IMPORT is our own stored session coming back: nothing new to persist.
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH) and self.on_session_change:
            self.on_session_change(session.encode())

    @staticmethod
    def _password_login(client: Client, credentials: Credentials) -> None:
        # No AppView behind a bare PDS: getProfile would answer 502, and we need no profile.
        client.login(
            login=credentials.handle.removeprefix("@"),
            password=credentials.secret,
            fetch_bsky_profile=False,
        )

    @staticmethod
    def _usable_session(session_string: str) -> bool:
        try:
            return Session.decode(session_string).access_jwt_payload.exp is not None
        except Exception:  # any garbage in storage means "log in again"
            return False

    def _run(self, credentials: Credentials, action: Callable[[Client], T]) -> T:
        """Log in (stored session first), run ``action``; on a dead session, log in once more."""
        client = self._client(credentials)
        try:
            from_session = self._usable_session(credentials.session)
            if from_session:
                client.login(session_string=credentials.session, fetch_bsky_profile=False)
            else:
                self._password_login(client, credentials)
            try:
                return action(client)
            except SDK_ERRORS as exc:
                if not (from_session and is_dead_session(exc)):
                    raise
            self._password_login(client, credentials)
            return action(client)
        except SDK_ERRORS as exc:
            raise classify_bluesky_error(exc) from exc
        finally:
            client.request.close()

    # --- the Adapter contract -------------------------------------------------------------

    def prepare(
        self, credentials: Credentials, post: OutgoingPost, *, idempotency_key: str
    ) -> PreparedPayload:
        """Freeze the record; the TID record key is Bluesky's idempotency key.

        ``idempotency_key`` is not sent: the rkey stored in the payload plays its role.
        Mentions are resolved now (read-only, unauthenticated) so that retries send the same
        bytes; a mention that does not resolve stays plain text.
        """
        rkey, micros = new_tid()
        record, gate = post_record(post, iso_millis(micros))
        facets = self._facets(credentials, post.text)
        if facets:
            record["facets"] = facets
        data: dict[str, Any] = {"rkey": rkey, "record": record}
        if gate is not None:
            data["threadgate"] = gate
        link = None if post.media else first_link(facets)
        if link is not None:
            self._add_card(data, link)
        return PreparedPayload(data=data)

    def _facets(self, credentials: Credentials, text: str) -> list[dict[str, Any]]:
        """Links, tags and mentions, each mention resolved to its DID (or left plain text)."""
        # A client only when a mention needs resolving: most posts have none, and building
        # one costs more CPU than the rest of the record.
        clients: list[Client] = []

        def resolve(handle: str) -> str | None:
            if not clients:
                clients.append(self._client(credentials))
            return self._resolve(clients[0], handle)

        try:
            return build_facets(text, resolve)
        except SDK_ERRORS as exc:
            raise classify_bluesky_error(exc) from exc
        finally:
            for client in clients:
                client.request.close()

    def _add_card(self, data: dict[str, Any], link: str) -> None:
        """The link card, or why there is none: the post goes out either way."""
        try:
            card: LinkCard = fetch_card(
                link, timeout=min(self.timeout, CARD_TIMEOUT), allow_private=self.allow_http
            )
        except CardUnavailable as exc:
            data["card"] = f"none ({exc})"
            return
        data["record"]["embed"] = card.embed()
        data["card"] = "external"
        if card.thumb is not None:
            data["card_thumb"] = base64.b64encode(card.thumb.data).decode("ascii")

    @staticmethod
    def _resolve(client: Client, handle: str) -> str | None:
        try:
            return str(client.com.atproto.identity.resolve_handle({"handle": handle}).did)
        except BadRequestError:
            return None  # 400 "Unable to resolve handle": the mention stays plain text

    def publish(
        self, credentials: Credentials, payload: PreparedPayload, post: OutgoingPost
    ) -> PublishedRef:
        rkey = str(payload.data["rkey"])
        record = payload.data["record"]
        media = fit_images(post.media)

        gate = payload.data.get("threadgate")

        def put(client: Client) -> PublishedRef:
            upload_images(client, record, media)
            upload_card_thumb(client, payload.data)
            session = Session.decode(client.export_session_string())
            if gate is None:
                answer = put_record(client, session.did, POST_COLLECTION, rkey, record)
            else:
                gate_record = threadgate_record(gate, did=session.did, rkey=rkey)
                answer = self._create_gated(client, session.did, rkey, record, gate_record)
            return _published_ref(credentials, session, rkey, answer)

        return self._run(credentials, put)

    @staticmethod
    def _create_gated(
        client: Client, did: str, rkey: str, record: dict[str, Any], gate: dict[str, Any]
    ) -> dict[str, Any]:
        """The post and its threadgate in one commit; the post's ``uri`` and ``cid``.

        When the answer may hide a write (a lost answer, a 5xx: the reference PDS answers
        500 to a ``create`` over an existing key), both keys are read back at once: the
        identical post is ours, written by an earlier attempt whose answer was lost. A post
        there without its gate was written by a version that sent them in two calls: the gate
        alone is written now. Anything else keeps the unknown outcome (the outbox looks again
        before the next attempt).
        """
        try:
            return create_records(
                client, did, [(POST_COLLECTION, rkey, record), (THREADGATE_COLLECTION, rkey, gate)]
            )[0]
        except PublishError as error:
            if not error.maybe_sent:
                raise
            try:
                existing = get_record(client, did, POST_COLLECTION, rkey)
                if existing is None:
                    raise error from None
                if existing.get("value") != record:
                    raise PublishError(
                        "A different post already exists under this record key.", permanent=True
                    ) from error
                written = get_record(client, did, THREADGATE_COLLECTION, rkey)
                if written is None:
                    put_record(client, did, THREADGATE_COLLECTION, rkey, gate)
                elif written.get("value") != gate:
                    raise PublishError(
                        "A different reply gate already exists for this post.", permanent=True
                    ) from error
            except SDK_ERRORS as exc:
                raise error from exc  # the check itself failed: the outcome stays unknown
            return existing

    def _has_threadgate(self, client: Client, did: str, payload: PreparedPayload) -> bool:
        gate = payload.data.get("threadgate")
        if gate is None:
            return True
        rkey = str(payload.data["rkey"])
        answer = get_record(client, did, THREADGATE_COLLECTION, rkey)
        if answer is None:
            return False
        if answer.get("value") != threadgate_record(gate, did=did, rkey=rkey):
            raise PublishError(
                "A different reply gate already exists for this post.", permanent=True
            )
        return True

    def lookup(self, credentials: Credentials, payload: PreparedPayload) -> PublishedRef | None:
        """``getRecord`` on the stored record key: the ref if the identical record is there.

        The key is a TID picked for this publication, so a record there is ours; one that
        differs from the stored record is refused as ``InvalidSwap`` would be.
        """
        rkey = str(payload.data["rkey"])
        record = payload.data["record"]

        def get(client: Client) -> PublishedRef | None:
            session = Session.decode(client.export_session_string())
            answer = get_record(client, session.did, POST_COLLECTION, rkey)
            if answer is None:
                return None
            if answer.get("value") != record:
                raise PublishError(
                    "A different post already exists under this record key.", permanent=True
                )
            if not self._has_threadgate(client, session.did, payload):
                # Only a version that wrote the two records in two calls leaves this: the
                # next publish finds the post in place and writes the gate alone.
                return None
            return _published_ref(credentials, session, rkey, answer)

        return self._run(credentials, get)

    def delete(self, credentials: Credentials, remote_id: str) -> None:
        """``deleteRecord`` on the post's key; the server answers success for a missing record."""
        uri = AtUri.from_str(remote_id)

        def remove(client: Client) -> None:
            session = Session.decode(client.export_session_string())
            if uri.host != session.did:
                raise PublishError(
                    f"{remote_id} belongs to another repository than {session.did}.",
                    permanent=True,
                )
            client.com.atproto.repo.delete_record(
                models.ComAtprotoRepoDeleteRecord.Data(
                    repo=session.did, collection=uri.collection, rkey=uri.rkey
                )
            )
            # The post's threadgate, if any, shares its key; deleting a missing one is success.
            client.com.atproto.repo.delete_record(
                models.ComAtprotoRepoDeleteRecord.Data(
                    repo=session.did, collection=THREADGATE_COLLECTION, rkey=uri.rkey
                )
            )

        self._run(credentials, remove)

    def verify(self, credentials: Credentials) -> str:
        """Log in with the app password itself (not the stored session) and return the DID."""
        client = self._client(credentials)
        try:
            self._password_login(client, credentials)
            return str(Session.decode(client.export_session_string()).did)
        except SDK_ERRORS as exc:
            raise classify_bluesky_error(exc) from exc
        finally:
            client.request.close()


def _published_ref(
    credentials: Credentials, session: Session, rkey: str, answer: Any
) -> PublishedRef:
    """What a post written at ``rkey`` is known by: its URI, its web address, its CID."""
    return PublishedRef(
        remote_id=str(answer["uri"]),
        url=bluesky_post_url(
            server_url=credentials.server_url, handle=session.handle, did=session.did, rkey=rkey
        ),
        extra={"cid": str(answer.get("cid", "")), "rkey": rkey},
    )

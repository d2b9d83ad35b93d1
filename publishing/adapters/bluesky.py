"""Bluesky adapter (atproto SDK 0.0.73): one record per publication, whatever the attempts.

Idempotency is built into the payload: ``prepare`` picks a TID record key and freezes the
whole ``app.bsky.feed.post`` record (``createdAt`` included); ``publish`` writes it with
``com.atproto.repo.putRecord`` and ``swapRecord: null``
(https://docs.bsky.app/docs/api/com-atproto-repo-put-record), which the PDS answers with:
created if the key is free, a no-op (same uri and cid) if the identical record is there,
``400 InvalidSwap`` if something else is. See ``../shared/docs/test-peers.md``.

Sessions are reused (``createSession`` is limited to 30 per 5 minutes per account): the
caller gives the stored session string and gets new ones through ``on_session_change``.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import certifi
import httpx
from atproto_client import Client, Session, SessionEvent, models  # type: ignore[import-untyped]
from atproto_client.exceptions import (  # type: ignore[import-untyped]
    BadRequestError,
    LoginRequiredError,
    ModelError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError  # type: ignore[import-untyped]
from atproto_client.request import Request  # type: ignore[import-untyped]
from atproto_core.exceptions import AtProtocolError  # type: ignore[import-untyped]
from atproto_core.uri import AtUri  # type: ignore[import-untyped]

from .base import (
    Credentials,
    MediaItem,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
    PublishError,
    checked_server_url,
)
from .bluesky_card import CardUnavailable, LinkCard, fetch_card
from .bluesky_images import blob_cid, fit_images, images_embed
from .bluesky_options import (
    THREADGATE_COLLECTION,
    UnknownOption,
    self_labels,
    threadgate_record,
    threadgate_spec,
)
from .facets import build_facets

# blob_cid and images_embed are re-exported: callers and tests know them from here.
__all__ = [
    "BlueskyAdapter",
    "blob_cid",
    "classify_bluesky_error",
    "encode_tid",
    "images_embed",
    "is_dead_session",
    "may_have_written",
    "new_tid",
]

T = TypeVar("T")

SessionCallback = Callable[[str], None]

POST_COLLECTION = "app.bsky.feed.post"
# Fetching a link card's page and image at prepare time: a slow site only loses its card.
CARD_TIMEOUT = 5.0

# --- Record keys -------------------------------------------------------------------------
# https://atproto.com/specs/tid: 64 bits, top bit 0, 53 bits of microseconds since the Unix
# epoch, 10 bits of clock identifier; written as 13 characters of base32-sortable so that
# keys sort by time. The SDK 0.0.73 validates TIDs but has no generator.

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_CLOCK_ID = secrets.randbelow(1024)  # per process: two workers rarely share a key
_tid_lock = threading.Lock()
_tid_last_micros = 0


def encode_tid(micros: int, clock_id: int) -> str:
    if not (0 <= micros < 2**53 and 0 <= clock_id < 2**10):
        raise ValueError("TID timestamp or clock id out of range")
    value = (micros << 10) | clock_id
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def new_tid() -> tuple[str, int]:
    """A fresh TID and its microsecond timestamp, strictly increasing within the process."""
    global _tid_last_micros  # noqa: PLW0603 - the monotonic clock is process-wide on purpose
    with _tid_lock:
        micros = max(time.time_ns() // 1000, _tid_last_micros + 1)
        _tid_last_micros = micros
    return encode_tid(micros, _TID_CLOCK_ID), micros


def _iso_millis(micros: int) -> str:
    """``createdAt`` as Bluesky writes it: UTC, milliseconds, "Z"."""
    moment = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- Images ------------------------------------------------------------------------------
# Fitted, measured and addressed in bluesky_images; ``prepare`` freezes their refs in the
# record and every ``publish`` uploads the same fitted bytes right before the record.


def _upload_images(client: Client, record: dict[str, Any], media: tuple[MediaItem, ...]) -> None:
    """Upload the blobs the frozen record points to; uploading the same bytes again is harmless.

    The PDS keeps an unreferenced blob for a while only, so blobs are sent on every attempt,
    right before the record.
    """
    expected = [image["image"] for image in record.get("embed", {}).get("images", [])]
    if [ref["ref"]["$link"] for ref in expected] != [blob_cid(item.data) for item in media]:
        raise PublishError(
            "The images differ from those of the prepared post; prepare it again.", permanent=True
        )
    for item, ref in zip(media, expected, strict=True):
        response = client.invoke_procedure(
            "com.atproto.repo.uploadBlob",
            content=item.data,
            headers={"Content-Type": item.mime_type},
            output_encoding="application/json",
        )
        blob = response.content.get("blob", {}) if isinstance(response.content, dict) else {}
        if blob.get("ref", {}).get("$link") != ref["ref"]["$link"]:
            raise ModelError(f"uploadBlob answered {response.content!r:.200}")
        if blob.get("mimeType") != ref["mimeType"]:
            # The PDS sniffs the type from the bytes; the record must say the same.
            raise PublishError(
                f"Image declared as {ref['mimeType']} but Bluesky reads it as "
                f"{blob.get('mimeType')}.",
                permanent=True,
            )


def _upload_card_thumb(client: Client, payload: dict[str, Any]) -> None:
    """Upload the link card's thumbnail, stored in the payload at prepare time (the page may
    have changed since: the record points to these bytes)."""
    encoded = payload.get("card_thumb")
    if not encoded:
        return
    thumb = payload["record"]["embed"]["external"]["thumb"]
    data = base64.b64decode(encoded)
    if blob_cid(data) != thumb["ref"]["$link"]:
        raise PublishError("The link card's image differs from the prepared one.", permanent=True)
    response = client.invoke_procedure(
        "com.atproto.repo.uploadBlob",
        content=data,
        headers={"Content-Type": thumb["mimeType"]},
        output_encoding="application/json",
    )
    blob = response.content.get("blob", {}) if isinstance(response.content, dict) else {}
    if blob.get("ref", {}).get("$link") != thumb["ref"]["$link"]:
        raise ModelError(f"uploadBlob answered {response.content!r:.200}")


def _first_link(facets: list[dict[str, Any]]) -> str | None:
    for facet in facets:
        for feature in facet.get("features", []):
            if feature.get("$type") == "app.bsky.richtext.facet#link":
                return str(feature["uri"])
    return None


# --- Errors ------------------------------------------------------------------------------
# XRPC errors are {"error": name, "message": words} with an HTTP status
# (https://atproto.com/specs/xrpc#error-responses). SDK 0.0.73 turns them into:
# 400 BadRequestError, 401/403 UnauthorizedError, 429 RateLimitExceededError,
# 409/413/502 *and* transport failures NetworkError, anything else RequestException.


def _xrpc_parts(exc: RequestErrorBase) -> tuple[int | None, str, str]:
    """HTTP status, XRPC error name and message of an SDK error (status None: no answer)."""
    response = exc.response
    if response is None:
        return None, "", ""
    content = response.content
    if isinstance(content, XrpcError):
        return response.status_code, content.error or "", content.message or ""
    if isinstance(content, dict):
        return response.status_code, str(content.get("error", "")), str(content.get("message", ""))
    if isinstance(content, bytes):
        return response.status_code, "", content[:200].decode("utf-8", "replace")
    return response.status_code, "", ""


def _described(status: int | None, error: str, message: str) -> str:
    words = ": ".join(part for part in (error, message) if part)
    return f"{status} {words}" if words else str(status)


def _rate_limit_delay(exc: RateLimitExceededError, now: datetime) -> float | None:
    # https://docs.bsky.app/docs/advanced-guides/rate-limits: "ratelimit-reset" is the epoch
    # second when the window reopens; "retry-after" only if a proxy sends that instead.
    reset_at: datetime | None = exc.reset_at
    if reset_at is not None:
        return max((reset_at - now).total_seconds(), 0.0)
    retry_after: float | None = exc.retry_after
    return retry_after


def _classify_xrpc(exc: RequestErrorBase) -> PublishError:
    """Errors that carry an HTTP answer, or its absence (``response`` None)."""
    status, error, message = _xrpc_parts(exc)
    described = _described(status, error, message)
    if status is None:
        # InvokeTimeoutError, or NetworkError from a refused/reset connection: no verdict.
        return PublishError(f"Bluesky server unreachable or too slow: {exc!r}", permanent=False)
    if isinstance(exc, BadRequestError):
        # 400 is a verdict on the request: InvalidSwap (another record holds the key),
        # InvalidRecord, "grapheme too big" (text over 300 graphemes), InvalidRequest.
        if error == "InvalidSwap":
            summary = "A different post already exists under this record key"
        elif "grapheme" in message:
            summary = "The text is longer than Bluesky allows"
        else:
            summary = "Bluesky refused the post"
        return PublishError(f"{summary} ({described}).", permanent=True)
    if isinstance(exc, UnauthorizedError):
        # 401 AuthenticationRequired (wrong handle or app password), AccountTakedown, 403.
        return PublishError(
            f"Bluesky refused the credentials ({described}): the app password was revoked or "
            "changed. An administrator must reconnect the account with a new app password "
            "(Accounts page).",
            permanent=True,
            needs_reconnection=True,
        )
    if (status >= 500 and status != 501) or status in {408, 409}:
        # 5xx (502 arrives as NetworkError), 408, 409 (concurrent write to the repo).
        return PublishError(f"Bluesky asked to try again ({described}).", permanent=False)
    # 413 (NetworkError in the SDK, yet the request will always be too large), 404 (no XRPC
    # at this URL), 405, 501 MethodNotImplemented...
    return PublishError(f"Bluesky refused the request ({described}).", permanent=True)


def classify_bluesky_error(exc: Exception, *, now: datetime | None = None) -> PublishError:
    """Map every SDK or transport error to permanent or transient, deliberately."""
    if isinstance(exc, RateLimitExceededError):
        return PublishError(
            "Bluesky rate limit reached; the server will accept writes again later.",
            permanent=False,
            retry_after=_rate_limit_delay(exc, datetime.now(UTC) if now is None else now),
        )
    if isinstance(exc, RequestErrorBase):
        return _classify_xrpc(exc)
    if isinstance(exc, LoginRequiredError):
        return PublishError("Bluesky session unusable and no login possible.", permanent=True)
    if isinstance(exc, ModelError):
        # A 2xx the SDK cannot read: asking again will not change the shape of the answer.
        return PublishError(f"Unexpected answer from Bluesky: {exc}", permanent=True)
    if isinstance(exc, httpx.TransportError):
        # httpx errors SDK 0.0.73 lets through unwrapped (RemoteProtocolError, ProxyError...).
        return PublishError(f"Bluesky server unreachable: {exc!r}", permanent=False)
    return PublishError(f"Bluesky error: {exc!r}", permanent=False)


def is_dead_session(exc: Exception) -> bool:
    """The stored session cannot be used (revoked, refresh token expired), the password can.

    An expired access token is refreshed by the SDK; what reaches us is a refused refresh:
    400 ExpiredToken / InvalidToken, or a 401 of any name.
    """
    if isinstance(exc, LoginRequiredError):
        return True
    if not isinstance(exc, RequestErrorBase):
        return False
    status, error, _ = _xrpc_parts(exc)
    return status == 401 or (status == 400 and error in {"ExpiredToken", "InvalidToken"})


_SDK_ERRORS = (AtProtocolError, httpx.HTTPError)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate store, loaded once per process (SSL contexts are thread-safe)."""
    return ssl.create_default_context(cafile=certifi.where())


# Failures that happen before a request leaves: nothing can have been written.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def may_have_written(exc: Exception) -> bool:
    """Whether a failed write may still have reached the PDS (its outcome is unknown).

    Yes for a timeout or a broken connection after the request was sent, and for a 5xx (the
    repo may have committed before the error); no when the connection never opened or the
    server gave a verdict (4xx). The SDK wraps httpx errors ``from`` the original.
    """
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        return bool(exc.response.status_code >= 500)
    if isinstance(exc, RequestErrorBase):
        return not isinstance(exc.__cause__, _NOT_SENT)
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, _NOT_SENT)


def _put_record(
    client: Client, did: str, collection: str, rkey: str, record: dict[str, Any]
) -> dict[str, Any]:
    """``putRecord`` with ``swapRecord: null``: written if absent, a no-op if identical."""
    body = {
        "repo": did,
        "collection": collection,
        "rkey": rkey,
        "record": record,
        # Explicit null = "only if absent, or identical"; the SDK's put_record would drop
        # the None, so the body is sent as raw JSON.
        "swapRecord": None,
    }
    try:
        response = client.invoke_procedure(
            "com.atproto.repo.putRecord",
            content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            input_encoding="application/json",
            output_encoding="application/json",
        )
    except _SDK_ERRORS as exc:
        if may_have_written(exc):
            raise classify_bluesky_error(exc).outcome_unknown() from exc
        raise  # a verdict, or a dead session that _run logs in again for
    answer = response.content
    if not isinstance(answer, dict) or "uri" not in answer:
        raise ModelError(f"putRecord answered {answer!r:.200}")
    return answer


def _get_record(client: Client, did: str, collection: str, rkey: str) -> Any:
    """The record's value, or None when there is none under that key."""
    try:
        response = client.invoke_query(
            "com.atproto.repo.getRecord",
            params=models.ComAtprotoRepoGetRecord.Params(
                repo=did, collection=collection, rkey=rkey
            ),
            output_encoding="application/json",
        )
    except BadRequestError as exc:
        if _xrpc_parts(exc)[1] == "RecordNotFound":
            return None
        raise
    answer = response.content
    if not isinstance(answer, dict):
        raise ModelError(f"getRecord answered {answer!r:.200}")
    return answer.get("value")


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
            except _SDK_ERRORS as exc:
                if not (from_session and is_dead_session(exc)):
                    raise
            self._password_login(client, credentials)
            return action(client)
        except _SDK_ERRORS as exc:
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
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": post.text,
            "createdAt": _iso_millis(micros),
        }
        if post.language:
            # Always explicit: the SDK's send_post would default to ["en"].
            record["langs"] = [post.language]
        try:
            labels = self_labels(post.self_label)
            gate = threadgate_spec(post.reply_gate, record["createdAt"])
        except UnknownOption as exc:
            raise PublishError(str(exc), permanent=True) from exc
        if labels is not None:
            record["labels"] = labels
        if post.reply is not None:
            record["reply"] = {
                "root": {"uri": post.reply.root_id, "cid": post.reply.root_cid},
                "parent": {"uri": post.reply.parent_id, "cid": post.reply.parent_cid},
            }
            gate = None  # a reply gate belongs to the thread's first post only
        if post.media:
            record["embed"] = images_embed(fit_images(post.media))
        # A client only when a mention needs resolving: most posts have none, and building
        # one costs more CPU than the rest of the record.
        clients: list[Client] = []

        def resolve(handle: str) -> str | None:
            if not clients:
                clients.append(self._client(credentials))
            return self._resolve(clients[0], handle)

        try:
            facets = build_facets(post.text, resolve)
        except _SDK_ERRORS as exc:
            raise classify_bluesky_error(exc) from exc
        finally:
            for client in clients:
                client.request.close()
        if facets:
            record["facets"] = facets
        data: dict[str, Any] = {"rkey": rkey, "record": record}
        if gate is not None:
            data["threadgate"] = gate
        link = None if post.media else _first_link(facets)
        if link is not None:
            self._add_card(data, link)
        return PreparedPayload(data=data)

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
            _upload_images(client, record, media)
            _upload_card_thumb(client, payload.data)
            session = Session.decode(client.export_session_string())
            answer = _put_record(client, session.did, POST_COLLECTION, rkey, record)
            if gate is not None:
                # After the post, under the same key. If this write fails the post is out but
                # the publication is not published: the retry writes the identical post again
                # (a no-op) and then the threadgate; lookup also wants both.
                try:
                    _put_record(
                        client,
                        session.did,
                        THREADGATE_COLLECTION,
                        rkey,
                        threadgate_record(gate, did=session.did, rkey=rkey),
                    )
                except _SDK_ERRORS as exc:
                    if is_dead_session(exc):
                        raise  # _run logs in again and repeats both writes
                    error = classify_bluesky_error(exc)
                    raise PublishError(
                        f"The post is on Bluesky but its reply gate was not written: "
                        f"{error.message}",
                        permanent=error.permanent,
                        retry_after=error.retry_after,
                        maybe_sent=True,
                    ) from exc
            return PublishedRef(
                remote_id=str(answer["uri"]),
                url=f"https://bsky.app/profile/{session.handle}/post/{rkey}",
                extra={"cid": str(answer.get("cid", "")), "rkey": rkey},
            )

        return self._run(credentials, put)

    def _has_threadgate(self, client: Client, did: str, payload: PreparedPayload) -> bool:
        gate = payload.data.get("threadgate")
        if gate is None:
            return True
        rkey = str(payload.data["rkey"])
        value = _get_record(client, did, THREADGATE_COLLECTION, rkey)
        if value is None:
            return False
        if value != threadgate_record(gate, did=did, rkey=rkey):
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
            try:
                response = client.invoke_query(
                    "com.atproto.repo.getRecord",
                    params=models.ComAtprotoRepoGetRecord.Params(
                        repo=session.did, collection=POST_COLLECTION, rkey=rkey
                    ),
                    output_encoding="application/json",
                )
            except BadRequestError as exc:
                if _xrpc_parts(exc)[1] == "RecordNotFound":
                    return None
                raise
            answer = response.content
            if not isinstance(answer, dict) or "uri" not in answer:
                raise ModelError(f"getRecord answered {answer!r:.200}")
            if answer.get("value") != record:
                raise PublishError(
                    "A different post already exists under this record key.", permanent=True
                )
            if not self._has_threadgate(client, session.did, payload):
                return None  # sending again rewrites the same post (a no-op), then the gate
            return PublishedRef(
                remote_id=str(answer["uri"]),
                url=f"https://bsky.app/profile/{session.handle}/post/{rkey}",
                extra={"cid": str(answer.get("cid", "")), "rkey": rkey},
            )

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
        except _SDK_ERRORS as exc:
            raise classify_bluesky_error(exc) from exc
        finally:
            client.request.close()

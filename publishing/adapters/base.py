"""The contract between the publication outbox and the networks.

Adapters are pure network code: plain data in, a published reference out, and a single
error type that says whether trying again can help (modelled on healthchecks'
``TransportError``). They never touch the database; the outbox stores what they prepare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class MediaItem:
    data: bytes
    mime_type: str
    alt_text: str
    filename: str = ""
    focus: tuple[float, float] | None = None  # Mastodon focal point, -1..1 from the centre


@dataclass(frozen=True)
class ReplyRef:
    """Where a part of a thread hangs: the thread's first post and the part just before.

    Mastodon needs the parent's status id; Bluesky a strong reference (URI and CID) to both.
    """

    root_id: str
    parent_id: str
    root_cid: str = ""
    parent_cid: str = ""


@dataclass(frozen=True)
class OutgoingPost:
    """What the officer approved, rendered for one account (byline already appended)."""

    text: str
    language: str
    media: tuple[MediaItem, ...] = ()
    # Per-network options approved with the text (editorial.networks); each adapter reads
    # those of its network.
    visibility: str = "public"  # Mastodon
    spoiler_text: str = ""  # Mastodon content warning
    sensitive: bool = False  # Mastodon: media hidden behind a warning
    self_label: str = ""  # Bluesky self-label value, "" for none
    reply_gate: str = ""  # Bluesky threadgate: "", "nobody", "mentioned", "followers"
    # Set for the second and later parts of a thread.
    reply: ReplyRef | None = None


@dataclass(frozen=True)
class Credentials:
    """Decrypted credentials for one social account; never logged, never stored as is."""

    server_url: str
    handle: str
    secret: str  # Mastodon access token, or Bluesky app password
    session: str = ""  # Bluesky: exported session string, reused to avoid logins


@dataclass(frozen=True)
class PreparedPayload:
    """The exact request, built once before the first attempt and stored with the publication.

    For Bluesky it holds the TID record key and the complete record (fixed ``createdAt``);
    for Mastodon the status parameters. Sending the same payload twice must never create
    two remote posts.
    """

    data: dict[str, Any]


@dataclass(frozen=True)
class PublishedRef:
    remote_id: str  # Mastodon status id, or Bluesky at:// URI
    url: str  # public web link when known, else the URI
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. Bluesky cid


class Reason(StrEnum):
    """Why a publication failed, as a code the people told read in their own language.

    The adapters know the vendor's answers; editorial words each code (``editorial.failures``)
    and never sees the network's English. Keep both lists equal (a test checks it).
    """

    NEEDS_RECONNECTION = "needs_reconnection"  # credentials refused, revoked or unreadable
    RATE_LIMITED = "rate_limited"  # the server asked to slow down, and attempts ran out
    TOO_LONG = "too_long"  # the text is over the server's limit
    REJECTED = "rejected"  # the server refused the post as invalid
    MEDIA_REFUSED = "media_refused"  # an image was refused (type, size, count)
    UNAVAILABLE = "unavailable"  # unreachable, too slow or erring, until attempts ran out
    CANCELLED_LATE = "cancelled_late"  # a publisher cancelled it as too late
    UNKNOWN = "unknown"


class PublishError(Exception):
    """Raised by adapters for every failure, already classified.

    ``permanent``: retrying the same payload cannot succeed (bad credentials, content refused).
    Otherwise the failure is transient and ``retry_after`` (seconds) says when to try again if
    the server told us.

    ``maybe_sent``: the outcome is unknown. The request that writes the post may have reached
    the server (a timeout or a lost answer after sending, a 5xx), so the post may exist; the
    outbox looks it up (``Adapter.lookup``) before any new send.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        maybe_sent: bool = False,
        needs_reconnection: bool = False,
        missing_scopes: tuple[str, ...] = (),
        reason: Reason | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent and not permanent
        # The server refused the credentials: nothing will work until someone reconnects.
        self.needs_reconnection = needs_reconnection
        # Permissions the credentials lack (e.g. a Mastodon token without read:statuses):
        # someone must reconnect the account to grant them.
        self.missing_scopes = missing_scopes
        # What the people told read (``Reason``), with what words it needs (a limit...).
        # Unset: derived from the flags (``reason_code``).
        self.reason = reason
        self.params = dict(params or {})

    @property
    def reason_code(self) -> Reason:
        if self.reason is not None:
            return self.reason
        if self.needs_reconnection:
            return Reason.NEEDS_RECONNECTION
        # A transient failure that ended the publication ran out of attempts: the server
        # did not answer usefully in time.
        return Reason.UNKNOWN if self.permanent else Reason.UNAVAILABLE

    def with_reason(self, reason: Reason, **params: Any) -> PublishError:
        """The same error, worded for people as ``reason`` (e.g. a refusal of an upload)."""
        error = PublishError(
            self.message,
            permanent=self.permanent,
            retry_after=self.retry_after,
            maybe_sent=self.maybe_sent,
            needs_reconnection=self.needs_reconnection,
            missing_scopes=self.missing_scopes,
            reason=reason,
            params={**self.params, **params},
        )
        return error

    def outcome_unknown(self) -> PublishError:
        """The same error, flagged as raised after the post may have been written."""
        return PublishError(
            self.message,
            permanent=False,
            retry_after=self.retry_after,
            maybe_sent=True,
            reason=self.reason,
            params=self.params,
        )


def checked_server_url(url: str, *, allow_http: bool) -> str:
    """The account's server URL, refused unless HTTPS (plain HTTP only for loopback test peers).

    Tokens and app passwords travel in headers: sending them in clear text is never a
    transient problem, so the refusal is permanent.
    """
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise PublishError(f"Server URL {url!r} must be an https:// URL.", permanent=True)
    return url.rstrip("/")


class Adapter(Protocol):
    network: str

    def prepare(
        self, credentials: Credentials, post: OutgoingPost, *, idempotency_key: str
    ) -> PreparedPayload:
        """Build the exact payload, stored by the outbox before the first send.

        May use the network read-only (Bluesky resolves mentioned handles to DIDs), never
        writes to it.
        """
        ...

    def publish(
        self, credentials: Credentials, payload: PreparedPayload, post: OutgoingPost
    ) -> PublishedRef:
        """Send the stored payload; safe to call again with the same payload."""
        ...

    def lookup(self, credentials: Credentials, payload: PreparedPayload) -> PublishedRef | None:
        """After an unknown outcome, before any new send: the post if the server has it.

        ``None`` means sending the stored payload again cannot make a second post (it is not
        there, or the server still deduplicates the payload by itself). Read-only.
        """
        ...

    def delete(self, credentials: Credentials, remote_id: str) -> None:
        """Delete a published post (a retraction). Idempotent: a post already gone is success."""
        ...

    def verify(self, credentials: Credentials) -> str:
        """Check the credentials against the server ("test connection").

        Returns the account's stable identity (Mastodon ``acct``, Bluesky DID).
        """
        ...

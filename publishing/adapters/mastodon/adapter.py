"""Mastodon adapter (Mastodon.py): post a status once, whatever the number of attempts.

Exactly once rests on a lookup first: after any attempt whose outcome is unknown, the
account's statuses since the payload was prepared are searched for the same text
fingerprint (and the same parent, for a thread's later part) before anything is sent again.
That needs the ``read:statuses`` scope. The ``Idempotency-Key`` header is only the second
line of defence: Mastodon answers the original status when it sees a key again, for one hour
(https://docs.joinmastodon.org/methods/statuses/#create), but servers implementing the same
API (GoToSocial, Takahē...) ignore it.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonVersionError,
)

from ..base import (
    Credentials,
    MediaItem,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
    PublishError,
    Reason,
    checked_server_url,
)
from ..links import mastodon_status_url
from .server import (
    ServerInfo,
    counting_for,
    honours_idempotency_key,
    nodeinfo_software,
    software_from_version,
    statuses_configuration,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_USER_AGENT = "porte-voix"

# Statuses that may succeed later with the same request; any other 4xx is an answer about
# the request itself (https://docs.joinmastodon.org/entities/Error/).
_TRANSIENT_STATUSES = {
    408,  # request timeout: the server gave up waiting for us
    409,  # conflict, e.g. the idempotency lock still held by a concurrent attempt
    425,  # too early
    429,  # rate limited (seen here only if Mastodon.py did not raise its own error)
}


# What escapes Mastodon.py besides its own errors when a server answers something it did not
# expect: a version string it cannot parse (``v0.20.0-rc1`` raised ValueError inside
# media_post), a field missing or of another type in an answer.
SDK_FAULTS = (ValueError, KeyError, TypeError, AttributeError, IndexError, LookupError)


def classify_sdk_fault(exc: Exception, *, doing: str) -> PublishError:
    """A failure of Mastodon.py itself, not an answer of the server: the same request fails
    the same way, so it is permanent, in words."""
    return PublishError(
        f"Mastodon.py could not handle the server's answer while {doing} "
        f"({type(exc).__name__}: {exc}). The server may not be fully compatible with "
        "Mastodon; trying again would fail the same way.",
        permanent=True,
    )


def _api_error_parts(exc: MastodonAPIError) -> tuple[int | None, str]:
    """Status code and the server's own words from ``(message, status, reason, error)`` args.

    Mastodon.py raises HTTP errors as ``ex_type('Mastodon API returned error', status,
    reason, error)``; its other API errors (unparsable JSON) carry only free text.
    """
    args = exc.args
    if len(args) >= 4 and isinstance(args[1], int):
        status, reason, error = args[1], args[2], args[3]
        return status, f"{status} {reason}: {error}" if error else f"{status} {reason}"
    return None, " ".join(str(arg) for arg in args)


def _classify_api_error(exc: MastodonAPIError) -> PublishError:
    status, words = _api_error_parts(exc)
    if status is None:
        # A 2xx whose body is not JSON (a proxy page): the status may exist, and the
        # idempotency key makes trying again safe.
        return PublishError(
            f"Unreadable answer from Mastodon: {words}",
            permanent=False,
            reason=Reason.UNAVAILABLE,
        )
    if status >= 500 or status in _TRANSIENT_STATUSES:
        # MastodonServerError and its 500/502/503/504 subclasses, plus the list above.
        return PublishError(
            f"Mastodon asked to try again ({words}).",
            permanent=False,
            reason=Reason.RATE_LIMITED if status == 429 else Reason.UNAVAILABLE,
        )
    if status == 403 and "scope" in words.lower():
        # The token lacks a permission ("This action is outside the authorized scopes").
        return PublishError(
            f"Mastodon refused the access token for this action ({words}): it lacks a "
            "permission Porte-voix needs. An administrator must reconnect the account "
            "(Accounts page) to grant it.",
            permanent=True,
            needs_reconnection=True,
            reason=Reason.NEEDS_RECONNECTION,
        )
    if status == 401:
        # MastodonUnauthorizedError: token revoked or wrong; someone must reconnect.
        return PublishError(
            f"Mastodon refused the access token ({words}): it was revoked or has expired. "
            "An administrator must reconnect the account (Accounts page).",
            permanent=True,
            needs_reconnection=True,
            reason=Reason.NEEDS_RECONNECTION,
        )
    # 403 (suspended account, missing scope), 404 MastodonNotFoundError (wrong server URL),
    # 410, 413, 422 (validation: text too long, unknown language...): same request, same
    # answer.
    reason = _refusal_reason(status, words)
    limit = re.search(r"(?:limit of|maximum is) (\d+)", words)
    if reason != Reason.TOO_LONG:
        limit = None
    return PublishError(
        f"Mastodon refused the post ({words}).",
        permanent=True,
        reason=reason,
        params={"limit": int(limit.group(1))} if limit else {},
    )


def _refusal_reason(status: int, words: str) -> Reason:
    """What a 4xx verdict means for the people told. Mastodon words a too long status
    "Text character limit of N exceeded" (422, ``StatusLengthValidator``); GoToSocial and
    others say "too long" / "length" (mastodon-mock: "Text is too long (maximum is N
    characters)")."""
    lowered = words.lower()
    if status == 413:
        return Reason.MEDIA_REFUSED  # only an upload is ever that large
    if "character limit" in lowered or "too long" in lowered or "length" in lowered:
        return Reason.TOO_LONG
    return Reason.REJECTED


def classify_mastodon_error(
    exc: MastodonError, *, ratelimit_reset: float | None = None, now: float | None = None
) -> PublishError:
    """Map every Mastodon.py error to permanent or transient, deliberately.

    ``ratelimit_reset`` is the client's ``ratelimit_reset`` (epoch seconds, already corrected
    for clock skew by Mastodon.py from the ``X-RateLimit-Reset`` and ``Date`` headers).
    """
    if isinstance(exc, MastodonRatelimitError):
        # https://docs.joinmastodon.org/api/rate-limits/ - with ratelimit_method="throw" a
        # 429 becomes this error and the reset time is left on the client.
        now = time.time() if now is None else now
        retry_after = max(ratelimit_reset - now, 0.0) if ratelimit_reset is not None else None
        return PublishError(
            "Mastodon rate limit reached; the server will accept posts again later.",
            permanent=False,
            retry_after=retry_after,
            reason=Reason.RATE_LIMITED,
        )
    if isinstance(exc, MastodonNetworkError):
        # Connection refused, DNS, TLS, timeouts (MastodonReadTimeout is a subclass): no
        # verdict was given, and the idempotency key makes a retry safe.
        return PublishError(
            f"Mastodon server unreachable: {exc}", permanent=False, reason=Reason.UNAVAILABLE
        )
    if isinstance(exc, MastodonAPIError):
        return _classify_api_error(exc)
    if isinstance(exc, MastodonIllegalArgumentError | MastodonVersionError):
        # Our own mistakes, not the server's: a retry repeats them.
        return PublishError(f"Invalid request to Mastodon: {exc}", permanent=True)
    # MastodonFileNotFoundError cannot happen (bytes, not paths); anything Mastodon.py adds
    # later is assumed passing, and the outbox caps retries.
    return PublishError(f"Mastodon error: {exc}", permanent=False)


# --- Unknown outcomes ----------------------------------------------------------------------
# After an unknown outcome the status is looked up in the account's statuses since the
# payload was prepared, by a fingerprint of its text stored in the payload, before any resend:
# on every server, since only Mastodon keeps an Idempotency-Key (and only for one hour).
LOOKUP_PAGE = 40
# Paging stops at the first status older than the payload (minus a minute of clock skew);
# this only bounds the reading on an account that posted thousands since then, in which case
# the lookup cannot tell and nothing is sent (never "absent" by giving up early).
LOOKUP_MAX_PAGES = 50
SCOPE_READ_STATUSES = "read:statuses"
# A lookup refused for a missing permission: someone must reconnect the account; the
# publication waits that long between tries (as an unknown outcome, never resent blindly).
LOOKUP_FORBIDDEN_RETRY = timedelta(minutes=15)
_MENTION_DOMAIN = re.compile(r"(?<![\w@])(@\w+)@[\w.-]+\.\w+")
_WORD = re.compile(r"\w+")


class _TextOfHtml(HTMLParser):
    """The words of a status's ``content``: inline tags join (Mastodon splits long URLs
    across spans mid-word), paragraphs and line breaks separate."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"p", "br"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of_html(content: str) -> str:
    parser = _TextOfHtml()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)


def text_fingerprint(text: str) -> str:
    """SHA-256 of the text's words, in order, as the server shows them back.

    Only words count: rendering changes markup, spacing and punctuation around links, and
    shows a remote mention ``@user@domain`` as ``@user``.
    """
    text = _MENTION_DOMAIN.sub(r"\1", unicodedata.normalize("NFC", text))
    return hashlib.sha256(" ".join(_WORD.findall(text)).encode("utf-8")).hexdigest()


def _never_sent(exc: MastodonNetworkError) -> bool:
    """The connection failed before the request left (Mastodon.py keeps the requests error
    as the implicit context only)."""
    cause = exc.__context__
    if isinstance(cause, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(cause, requests.exceptions.ConnectionError) and cause.args:
        reason = getattr(cause.args[0], "reason", None)  # urllib3 MaxRetryError
        return type(reason).__name__ in {"NewConnectionError", "NameResolutionError"}
    return False


def may_have_posted(exc: MastodonError) -> bool:
    """Whether a failed ``POST /api/v1/statuses`` may still have created the status."""
    if isinstance(exc, MastodonRatelimitError):
        return False
    if isinstance(exc, MastodonNetworkError):
        return not _never_sent(exc)
    if isinstance(exc, MastodonAPIError):
        status, _ = _api_error_parts(exc)
        return status is None or status >= 500  # unreadable 2xx, or the server failed
    return False


def wait_until_processed(
    api: Any,
    media: Any,
    *,
    max_wait: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Poll an attachment until the server has processed it, for ``max_wait`` seconds at most.

    ``POST /api/v2/media`` may answer 202 with ``url: null`` while the server converts the
    file (https://docs.joinmastodon.org/methods/media/#v2); attaching it before then gets a
    422 that would look permanent. Mastodon.py's own ``synchronous=True`` polls forever.
    """
    deadline = clock() + max_wait
    delay = 0.5
    while media["url"] is None:
        if clock() + delay > deadline:
            raise PublishError(
                "Mastodon is still processing an image; try again shortly.", permanent=False
            )
        sleep(delay)
        delay = min(delay * 2, 5.0)
        media = api.media(media["id"])
    return media


def _ref(api: Mastodon, status: Any) -> PublishedRef:
    return PublishedRef(
        remote_id=str(status["id"]), url=mastodon_status_url(str(api.api_base_url), status)
    )


def _parse_time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


_local = threading.local()


def _thread_session() -> requests.Session:
    """One keep-alive HTTP session per worker thread, shared by the accounts it serves
    (requests sessions are not meant to be shared between threads)."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        _local.session = session
    return session


class MastodonAdapter:
    network = "mastodon"

    def __init__(
        self, *, timeout: float, allow_http: bool = False, media_wait: float = 30.0
    ) -> None:
        self.timeout = timeout
        self.allow_http = allow_http
        self.media_wait = media_wait

    def _client(self, credentials: Credentials) -> Mastodon:
        # A fresh client per call (no token or rate-limit state shared between accounts),
        # over the thread's pooled HTTP session: opening a connection (and TLS) per post
        # doubled the cost of a send. "throw" and a short timeout keep a worker from sleeping
        # up to 300 s inside Mastodon.py.
        return sdk_client(
            api_base_url=checked_server_url(credentials.server_url, allow_http=self.allow_http),
            access_token=credentials.secret,
            ratelimit_method="throw",
            request_timeout=self.timeout,
            user_agent=_USER_AGENT,
            session=_thread_session(),
        )

    @property
    def settle_seconds(self) -> float:
        """How long after an unknown outcome the lookup waits: a request that timed out on
        our side may still be on its way to the server (a slow proxy, a queue); looking
        before it lands would find nothing and send a second status on a server that ignores
        the Idempotency-Key."""
        return max(2 * self.timeout, 5.0)

    def _unknown(self, error: PublishError) -> PublishError:
        return PublishError(
            error.message,
            permanent=False,
            retry_after=max(error.retry_after or 0.0, self.settle_seconds),
            maybe_sent=True,
            reason=error.reason,
            params=error.params,
        )

    def _fail(self, api: Mastodon, exc: MastodonError) -> PublishError:
        reset = api.ratelimit_reset
        return classify_mastodon_error(
            exc, ratelimit_reset=float(reset) if reset is not None else None
        )

    def prepare(
        self, credentials: Credentials, post: OutgoingPost, *, idempotency_key: str
    ) -> PreparedPayload:
        visibility = post.visibility
        if post.reply is not None and visibility == "public":
            # The thread's first status is public; its replies are unlisted so that followers'
            # timelines show the thread once, not every part.
            visibility = "unlisted"
        return PreparedPayload(
            data={
                "status": post.text,
                "language": post.language,
                "visibility": visibility,
                "in_reply_to_id": post.reply.parent_id if post.reply is not None else None,
                "spoiler_text": post.spoiler_text,
                "sensitive": post.sensitive,
                "idempotency_key": idempotency_key,
                # For the lookup: it reads the account's statuses back to this moment.
                "prepared_at": datetime.now(UTC).isoformat(),
                "fingerprint": text_fingerprint(post.text),
            }
        )

    def publish(
        self, credentials: Credentials, payload: PreparedPayload, post: OutgoingPost
    ) -> PublishedRef:
        data = payload.data
        api = self._client(credentials)
        try:
            # Attachments are uploaded on every attempt: when an earlier attempt did create
            # the status, the idempotency key returns it and the new uploads stay unattached
            # (the server deletes those after a day).
            media_ids = [self._upload(api, item) for item in post.media] or None
        except MastodonError as exc:
            error = self._fail(api, exc)
            if error.permanent and error.reason in {Reason.REJECTED, Reason.TOO_LONG}:
                # A verdict on an upload is a verdict on the image (type, size, description).
                error = error.with_reason(Reason.MEDIA_REFUSED)
            raise error from exc
        except SDK_FAULTS as exc:
            raise classify_sdk_fault(exc, doing="uploading an image") from exc
        try:
            status = api.status_post(
                data["status"],
                language=data["language"] or None,
                visibility=data["visibility"],
                # .get: payloads stored before these options existed lack them.
                spoiler_text=data.get("spoiler_text") or None,
                sensitive=bool(data.get("sensitive")),
                in_reply_to_id=data.get("in_reply_to_id") or None,
                idempotency_key=data["idempotency_key"],
                media_ids=media_ids,
            )
        except MastodonError as exc:
            error = self._fail(api, exc)
            raise (self._unknown(error) if may_have_posted(exc) else error) from exc
        except SDK_FAULTS as exc:
            # Mastodon.py failed on our arguments (nothing sent) or on the server's answer
            # (the status exists): which one, only the server can say.
            raise self._after_sdk_fault(api, data, exc) from exc
        return _ref(api, status)

    def _after_sdk_fault(self, api: Mastodon, data: dict[str, Any], exc: Exception) -> PublishError:
        failure = classify_sdk_fault(exc, doing="posting the status")
        try:
            found = _search(api, data)
        except (MastodonError, PublishError, *SDK_FAULTS):
            return self._unknown(failure)  # cannot tell: the next attempt looks again
        if found is None:
            return failure
        # Posted although Mastodon.py choked on the answer: say so, and let the next attempt
        # (which looks first) record it.
        return self._unknown(
            PublishError(
                f"{failure.message} The status was posted; it is recorded on the next attempt.",
                permanent=False,
            )
        )

    def lookup(self, credentials: Credentials, payload: PreparedPayload) -> PublishedRef | None:
        """The status if the account has it: searched among its statuses since the payload
        was prepared, by text fingerprint and, for a thread's later part, its parent.

        Asked after every unknown outcome, on every server, before any resend. Needs the
        ``read:statuses`` scope: a refusal is never taken for "absent" (nor for a refusal of
        the post); the publication then waits as an unknown outcome while the account is
        flagged for reconnection.
        """
        api = self._client(credentials)
        try:
            return _search(api, payload.data)
        except MastodonError as exc:
            raise self._lookup_failed(api, exc) from exc
        except SDK_FAULTS as exc:
            raise self._unknown(
                classify_sdk_fault(exc, doing="reading the account's statuses")
            ) from exc

    def _lookup_failed(self, api: Mastodon, exc: MastodonError) -> PublishError:
        status, words = _api_error_parts(exc) if isinstance(exc, MastodonAPIError) else (None, "")
        if status == 403:
            return PublishError(
                f"Mastodon did not let Porte-voix read the account's own posts ({words}): the "
                f"account was connected without the {SCOPE_READ_STATUSES} permission, which "
                "Porte-voix now needs to check whether a post already went out before sending "
                "it again. An administrator must reconnect the account (Accounts page) to "
                "grant the new permission. Nothing was sent again: the post waits.",
                permanent=False,
                maybe_sent=True,
                needs_reconnection=True,
                missing_scopes=(SCOPE_READ_STATUSES,),
                retry_after=LOOKUP_FORBIDDEN_RETRY.total_seconds(),
            )
        error = self._fail(api, exc)
        if error.permanent:
            return error
        return self._unknown(error)

    def delete(self, credentials: Credentials, remote_id: str) -> None:
        api = self._client(credentials)
        try:
            api.status_delete(remote_id)
        except MastodonNotFoundError:
            return  # already deleted (by an earlier attempt, or by hand): what we wanted
        except MastodonError as exc:
            raise self._fail(api, exc) from exc

    def _upload(self, api: Mastodon, item: MediaItem) -> str:
        # /api/v2/media: the client's version is fixed (sdk_client), never read from the
        # server.
        media = api.media_post(
            io.BytesIO(item.data),
            mime_type=item.mime_type,
            description=item.alt_text or None,
            focus=item.focus,
            file_name=item.filename or None,
        )
        return str(wait_until_processed(api, media, max_wait=self.media_wait)["id"])

    def fetch_limits(self, credentials: Credentials) -> tuple[int, int]:
        """``(max_characters, characters_reserved_per_url)`` as the server advertises them."""
        api = self._client(credentials)
        try:
            return statuses_configuration(_instance(api))
        except MastodonError as exc:
            raise self._fail(api, exc) from exc
        except SDK_FAULTS as exc:
            raise classify_sdk_fault(exc, doing="reading the instance's limits") from exc

    def fetch_server_info(
        self, credentials: Credentials, *, granted_scopes: tuple[str, ...] = ()
    ) -> ServerInfo:
        """The server's software, limits and counting, and the scopes the token lacks.

        Read at connection and on "test connection". The software comes from NodeInfo,
        else from the instance's ``version`` string; the scopes are probed with the two
        reads Porte-voix needs (its account, its statuses), so an account connected before
        ``read:statuses`` was asked for is found out here rather than at a lookup.
        """
        base = checked_server_url(credentials.server_url, allow_http=self.allow_http)
        api = self._client(credentials)
        try:
            named = nodeinfo_software(_thread_session(), base, timeout=self.timeout)
            instance = _instance(api)
            version = named[1] if named and named[1] else str(instance.get("version") or "")
            software = named[0] if named and named[0] else software_from_version(version)
            maximum, per_url = statuses_configuration(instance)
            missing = self._missing_scopes(api)
        except MastodonError as exc:
            raise self._fail(api, exc) from exc
        except SDK_FAULTS as exc:
            raise classify_sdk_fault(exc, doing="reading the instance's description") from exc
        return ServerInfo(
            software=software,
            version=version,
            max_characters=maximum,
            characters_reserved_per_url=per_url,
            counting=counting_for(software),
            honours_idempotency_key=honours_idempotency_key(software),
            scopes=granted_scopes,
            missing_scopes=missing,
        )

    @staticmethod
    def _missing_scopes(api: Mastodon) -> tuple[str, ...]:
        try:
            me: Any = api.account_verify_credentials()
        except MastodonAPIError as exc:
            if _api_error_parts(exc)[0] == 403:
                return ("read:accounts",)
            raise
        try:
            api.account_statuses(me["id"], limit=1)
        except MastodonAPIError as exc:
            if _api_error_parts(exc)[0] == 403:
                return (SCOPE_READ_STATUSES,)
            raise
        return ()

    def verify(self, credentials: Credentials) -> str:
        """The token's account ``acct`` (GET /api/v1/accounts/verify_credentials)."""
        api = self._client(credentials)
        try:
            account: Any = api.account_verify_credentials()
        except MastodonError as exc:
            raise self._fail(api, exc) from exc
        return str(account["acct"])


# The Mastodon API version the client assumes. Mastodon.py otherwise parses the server's
# version string, and one it cannot parse (GoToSocial's "v0.20.0-rc1") raised ValueError
# inside media_post; with a fixed version it never reads the server's. 4.0.0 is the oldest
# release we support: it has /api/v2/media and /api/v2/instance.
ASSUMED_VERSION = (4, 0, 0)


def sdk_client(**kwargs: Any) -> Mastodon:
    """A Mastodon.py client that never reads or parses the server's version.

    ``version_check_mode="none"`` with a ``mastodon_version`` marks the version as known
    (no GET /api/v1/instance, not even in ``log_in``); the version is then set by hand,
    since in that mode Mastodon.py does not parse the one given (media_post would choose
    /api/v1/media for "1.0.0").
    """
    api = Mastodon(
        version_check_mode="none", mastodon_version=".".join(map(str, ASSUMED_VERSION)), **kwargs
    )
    api.mastodon_major, api.mastodon_minor, api.mastodon_patch = ASSUMED_VERSION
    return api


def _instance(api: Mastodon) -> Any:
    """The instance document: v2 (Mastodon 4.0+), else v1 (older servers, Pleroma-likes)."""
    try:
        return api.instance_v2()
    except MastodonNotFoundError:
        return api.instance_v1()


def _search(api: Mastodon, data: dict[str, Any]) -> PublishedRef | None:
    """The status of ``data`` (a stored payload) among the account's statuses, newest first,
    down to the moment the payload was prepared."""
    wanted = str(data.get("fingerprint") or text_fingerprint(str(data["status"])))
    parent = str(data.get("in_reply_to_id") or "")
    prepared_at = _parse_time(data.get("prepared_at"))
    since = prepared_at - timedelta(minutes=1) if prepared_at is not None else None
    me: Any = api.account_verify_credentials()
    page: Any = api.account_statuses(me["id"], limit=LOOKUP_PAGE, exclude_reblogs=True)
    for _ in range(LOOKUP_MAX_PAGES):
        if not page:
            return None
        for status in page:
            if since is not None and status["created_at"] < since:
                return None  # older than the post we look for: it is not there
            if parent and str(status.get("in_reply_to_id") or "") != parent:
                continue
            if text_fingerprint(text_of_html(status["content"] or "")) == wanted:
                return _ref(api, status)
        page = api.fetch_next(page)
    raise PublishError(
        f"Looked through {LOOKUP_PAGE * LOOKUP_MAX_PAGES} statuses of the account without "
        "reaching the moment the post was prepared: whether it went out cannot be told, so it "
        "is not sent again now.",
        permanent=False,
        maybe_sent=True,
    )

"""Mastodon adapter (Mastodon.py): post a status once, whatever the number of attempts.

Idempotency rests on the server: ``POST /api/v1/statuses`` with an ``Idempotency-Key``
header answers the original status when the key is seen again
(https://docs.joinmastodon.org/methods/statuses/#create). Real servers remember a key for
one hour per user, so the outbox must not retry an uncertain attempt much later than that.
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

from .base import (
    Credentials,
    MediaItem,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
    PublishError,
    checked_server_url,
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
        return PublishError(f"Unreadable answer from Mastodon: {words}", permanent=False)
    if status >= 500 or status in _TRANSIENT_STATUSES:
        # MastodonServerError and its 500/502/503/504 subclasses, plus the list above.
        return PublishError(f"Mastodon asked to try again ({words}).", permanent=False)
    if status == 401:
        # MastodonUnauthorizedError: token revoked or wrong; someone must reconnect.
        return PublishError(
            f"Mastodon refused the access token ({words}): it was revoked or has expired. "
            "An administrator must reconnect the account (Accounts page).",
            permanent=True,
            needs_reconnection=True,
        )
    # 403 (suspended account, missing scope), 404 MastodonNotFoundError (wrong server URL),
    # 410, 413, 422 (validation: text too long, unknown language...): same request, same
    # answer.
    return PublishError(f"Mastodon refused the post ({words}).", permanent=True)


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
        )
    if isinstance(exc, MastodonNetworkError):
        # Connection refused, DNS, TLS, timeouts (MastodonReadTimeout is a subclass): no
        # verdict was given, and the idempotency key makes a retry safe.
        return PublishError(f"Mastodon server unreachable: {exc}", permanent=False)
    if isinstance(exc, MastodonAPIError):
        return _classify_api_error(exc)
    if isinstance(exc, MastodonIllegalArgumentError | MastodonVersionError):
        # Our own mistakes, not the server's: a retry repeats them.
        return PublishError(f"Invalid request to Mastodon: {exc}", permanent=True)
    # MastodonFileNotFoundError cannot happen (bytes, not paths); anything Mastodon.py adds
    # later is assumed passing, and the outbox caps retries.
    return PublishError(f"Mastodon error: {exc}", permanent=False)


# --- Unknown outcomes ----------------------------------------------------------------------
# Real servers remember an Idempotency-Key for one hour per user: inside that window sending
# the same request again is the reconciliation (the server answers the original status).
# Beyond it, with a margin, the status is looked up in the account's recent statuses by a
# fingerprint of its text, stored in the payload when it was prepared.
IDEMPOTENCY_WINDOW_SAFE = timedelta(minutes=55)
LOOKUP_PAGE = 40
LOOKUP_MAX_PAGES = 5
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


def _ref(status: Any) -> PublishedRef:
    return PublishedRef(remote_id=str(status["id"]), url=str(status["url"] or status["uri"]))


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
        # up to 300 s inside Mastodon.py; version_check_mode="none" avoids a GET
        # /api/v1/instance per call.
        return Mastodon(
            api_base_url=checked_server_url(credentials.server_url, allow_http=self.allow_http),
            access_token=credentials.secret,
            ratelimit_method="throw",
            request_timeout=self.timeout,
            version_check_mode="none",
            user_agent=_USER_AGENT,
            session=_thread_session(),
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
                # For lookup: the idempotency window runs from the first send, never earlier.
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
            raise self._fail(api, exc) from exc
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
            raise (error.outcome_unknown() if may_have_posted(exc) else error) from exc
        return _ref(status)

    def lookup(self, credentials: Credentials, payload: PreparedPayload) -> PublishedRef | None:
        """Inside the idempotency window, nothing to look up: resending returns the original.

        Beyond it, the account's statuses since the payload was prepared are searched for
        the same text fingerprint (the newest ``LOOKUP_PAGE * LOOKUP_MAX_PAGES`` at most).
        """
        data = payload.data
        prepared_at = _parse_time(data.get("prepared_at"))
        if prepared_at is not None and datetime.now(UTC) - prepared_at < IDEMPOTENCY_WINDOW_SAFE:
            return None
        wanted = str(data.get("fingerprint") or text_fingerprint(str(data["status"])))
        since = prepared_at - timedelta(minutes=1) if prepared_at is not None else None
        api = self._client(credentials)
        try:
            me: Any = api.account_verify_credentials()
            page: Any = api.account_statuses(me["id"], limit=LOOKUP_PAGE, exclude_reblogs=True)
            for _ in range(LOOKUP_MAX_PAGES):
                for status in page or []:
                    if since is not None and status["created_at"] < since:
                        return None  # older than the post we look for: it is not there
                    if text_fingerprint(text_of_html(status["content"] or "")) == wanted:
                        return _ref(status)
                if not page:
                    return None
                page = api.fetch_next(page)
        except MastodonError as exc:
            raise self._fail(api, exc) from exc
        return None

    def delete(self, credentials: Credentials, remote_id: str) -> None:
        api = self._client(credentials)
        try:
            api.status_delete(remote_id)
        except MastodonNotFoundError:
            return  # already deleted (by an earlier attempt, or by hand): what we wanted
        except MastodonError as exc:
            raise self._fail(api, exc) from exc

    def _upload(self, api: Mastodon, item: MediaItem) -> str:
        # On the first upload Mastodon.py reads the server version (two GETs) to choose
        # /api/v2/media; the version check mode stays "none" for everything else.
        media = api.media_post(
            io.BytesIO(item.data),
            mime_type=item.mime_type,
            description=item.alt_text or None,
            focus=item.focus,
            file_name=item.filename or None,
        )
        return str(wait_until_processed(api, media, max_wait=self.media_wait)["id"])

    def fetch_limits(self, credentials: Credentials) -> tuple[int, int]:
        """``(max_characters, characters_reserved_per_url)`` as the server enforces them."""
        api = self._client(credentials)
        try:
            instance: Any = api.instance_v2()
        except MastodonError as exc:
            raise self._fail(api, exc) from exc
        statuses = instance["configuration"]["statuses"]
        return int(statuses["max_characters"]), int(statuses["characters_reserved_per_url"])

    def verify(self, credentials: Credentials) -> str:
        """The token's account ``acct`` (GET /api/v1/accounts/verify_credentials)."""
        api = self._client(credentials)
        try:
            account: Any = api.account_verify_credentials()
        except MastodonError as exc:
            raise self._fail(api, exc) from exc
        return str(account["acct"])

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

import io
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNotFoundError,
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
from .errors import (
    SDK_FAULTS,
    api_error_parts,
    classify_mastodon_error,
    classify_sdk_fault,
    may_have_posted,
)
from .lookup import (
    LOOKUP_FORBIDDEN_RETRY,
    SCOPE_READ_STATUSES,
    find_status,
    status_ref,
    text_fingerprint,
)
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
        return status_ref(api, status)

    def _after_sdk_fault(self, api: Mastodon, data: dict[str, Any], exc: Exception) -> PublishError:
        failure = classify_sdk_fault(exc, doing="posting the status")
        try:
            found = find_status(api, data)
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
            return find_status(api, payload.data)
        except MastodonError as exc:
            raise self._lookup_failed(api, exc) from exc
        except SDK_FAULTS as exc:
            raise self._unknown(
                classify_sdk_fault(exc, doing="reading the account's statuses")
            ) from exc

    def _lookup_failed(self, api: Mastodon, exc: MastodonError) -> PublishError:
        status, words = api_error_parts(exc) if isinstance(exc, MastodonAPIError) else (None, "")
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
            if api_error_parts(exc)[0] == 403:
                return ("read:accounts",)
            raise
        try:
            api.account_statuses(me["id"], limit=1)
        except MastodonAPIError as exc:
            if api_error_parts(exc)[0] == 403:
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

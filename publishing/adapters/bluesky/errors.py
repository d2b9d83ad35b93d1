"""How the Bluesky adapter reads an SDK or transport error: permanent or transient, with
words a communication officer understands, and whether a write may have reached the PDS."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from atproto_client.exceptions import (  # type: ignore[import-untyped]
    BadRequestError,
    LoginRequiredError,
    ModelError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError  # type: ignore[import-untyped]
from atproto_core.exceptions import AtProtocolError  # type: ignore[import-untyped]

from ..base import PublishError, Reason

# Bluesky's text limit, enforced by the PDS ("grapheme too big").
MAX_GRAPHEMES = 300

# XRPC errors are {"error": name, "message": words} with an HTTP status
# (https://atproto.com/specs/xrpc#error-responses). SDK 0.0.73 turns them into:
# 400 BadRequestError, 401/403 UnauthorizedError, 429 RateLimitExceededError,
# 409/413/502 *and* transport failures NetworkError, anything else RequestException.


def xrpc_parts(exc: RequestErrorBase) -> tuple[int | None, str, str]:
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
    status, error, message = xrpc_parts(exc)
    described = _described(status, error, message)
    if status is None:
        # InvokeTimeoutError, or NetworkError from a refused/reset connection: no verdict.
        return PublishError(
            f"Bluesky server unreachable or too slow: {exc!r}",
            permanent=False,
            reason=Reason.UNAVAILABLE,
        )
    if isinstance(exc, BadRequestError):
        return _bad_request(error, message, described)
    if isinstance(exc, UnauthorizedError):
        # 401 AuthenticationRequired (wrong handle or app password), AccountTakedown, 403.
        return PublishError(
            f"Bluesky refused the credentials ({described}): the app password was revoked or "
            "changed. An administrator must reconnect the account with a new app password "
            "(Accounts page).",
            permanent=True,
            needs_reconnection=True,
            reason=Reason.NEEDS_RECONNECTION,
        )
    return _by_status(status, described)


def _bad_request(error: str, message: str, described: str) -> PublishError:
    """A 400 is a verdict on the request: InvalidSwap (another record holds the key),
    InvalidRecord, "grapheme too big" (text over 300 graphemes), InvalidRequest."""
    reason, params = Reason.REJECTED, {}
    if error == "InvalidSwap":
        summary = "A different post already exists under this record key"
        reason = Reason.UNKNOWN  # our own bookkeeping, nothing the people told can change
    elif "grapheme" in message:
        summary = "The text is longer than Bluesky allows"
        reason, params = Reason.TOO_LONG, {"limit": MAX_GRAPHEMES}
    elif "blob" in message.lower() or "image" in message.lower():
        summary = "Bluesky refused an image"
        reason = Reason.MEDIA_REFUSED
    else:
        summary = "Bluesky refused the post"
    return PublishError(f"{summary} ({described}).", permanent=True, reason=reason, params=params)


def _by_status(status: int, described: str) -> PublishError:
    """An answer without a more specific error class: its status decides."""
    if (status >= 500 and status != 501) or status in {408, 409}:
        # 5xx (502 arrives as NetworkError), 408, 409 (concurrent write to the repo).
        return PublishError(
            f"Bluesky asked to try again ({described}).",
            permanent=False,
            reason=Reason.UNAVAILABLE,
        )
    if status == 413:
        # Payload too large: on a post, the only large part is an image.
        return PublishError(
            f"Bluesky refused the request as too large ({described}).",
            permanent=True,
            reason=Reason.MEDIA_REFUSED,
        )
    # 413 (NetworkError in the SDK, yet the request will always be too large), 404 (no XRPC
    # at this URL), 405, 501 MethodNotImplemented...
    return PublishError(
        f"Bluesky refused the request ({described}).", permanent=True, reason=Reason.REJECTED
    )


def classify_bluesky_error(exc: Exception, *, now: datetime | None = None) -> PublishError:
    """Map every SDK or transport error to permanent or transient, deliberately."""
    if isinstance(exc, RateLimitExceededError):
        return PublishError(
            "Bluesky rate limit reached; the server will accept writes again later.",
            permanent=False,
            retry_after=_rate_limit_delay(exc, datetime.now(UTC) if now is None else now),
            reason=Reason.RATE_LIMITED,
        )
    if isinstance(exc, RequestErrorBase):
        return _classify_xrpc(exc)
    if isinstance(exc, LoginRequiredError):
        return PublishError(
            "Bluesky session unusable and no login possible.",
            permanent=True,
            reason=Reason.NEEDS_RECONNECTION,
        )
    if isinstance(exc, ModelError):
        # A 2xx the SDK cannot read: asking again will not change the shape of the answer.
        return PublishError(f"Unexpected answer from Bluesky: {exc}", permanent=True)
    if isinstance(exc, httpx.TransportError):
        # httpx errors SDK 0.0.73 lets through unwrapped (RemoteProtocolError, ProxyError...).
        return PublishError(
            f"Bluesky server unreachable: {exc!r}", permanent=False, reason=Reason.UNAVAILABLE
        )
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
    status, error, _ = xrpc_parts(exc)
    return status == 401 or (status == 400 and error in {"ExpiredToken", "InvalidToken"})


# Everything the SDK or its transport raises.
SDK_ERRORS = (AtProtocolError, httpx.HTTPError)


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

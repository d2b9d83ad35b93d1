"""Mastodon's errors mapped to ``PublishError``: permanent or transient, with a reason, and
whether a failed post may still have created the status (an unknown outcome)."""

from __future__ import annotations

import re
import time

import requests
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonVersionError,
)

from ..base import (
    PublishError,
    Reason,
)

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


def api_error_parts(exc: MastodonAPIError) -> tuple[int | None, str]:
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
    status, words = api_error_parts(exc)
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
    token_refused = _token_refused(status, words)
    if token_refused is not None:
        return token_refused
    return _refusal(status, words)


def _token_refused(status: int, words: str) -> PublishError | None:
    """A refused access token (someone must reconnect the account), or None."""
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
    return None


def _refusal(status: int, words: str) -> PublishError:
    """A verdict on the request itself: the same request gets the same answer."""
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
        status, _ = api_error_parts(exc)
        return status is None or status >= 500  # unreadable 2xx, or the server failed
    return False

"""Each network error is classified into the reason code the people told read in their own
language (``adapters.base.Reason``); built from the libraries' own exception objects."""

from __future__ import annotations

import httpx
import pytest
from atproto_client.exceptions import (  # type: ignore[import-untyped]
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RateLimitExceededError,
    UnauthorizedError,
)
from mastodon.errors import (
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServiceUnavailableError,
    MastodonUnauthorizedError,
)

from editorial import failures
from publishing.adapters.base import MediaItem, PublishError, Reason
from publishing.adapters.bluesky.errors import classify_bluesky_error
from publishing.adapters.bluesky.images import images_embed
from publishing.adapters.mastodon.errors import classify_mastodon_error
from tests.publishing.test_adapter_errors import api_error, xrpc


def test_failure_reasons_publishing_codes_all_have_words_in_editorial() -> None:
    assert {r.value for r in Reason} == failures.REASONS


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (
            api_error(
                MastodonUnauthorizedError, 401, "Unauthorized", "The access token is invalid"
            ),
            Reason.NEEDS_RECONNECTION,
        ),
        (
            api_error(
                MastodonAPIError, 403, "Forbidden", "This action is outside the authorized scopes"
            ),
            Reason.NEEDS_RECONNECTION,
        ),
        (MastodonRatelimitError("Hit rate limit."), Reason.RATE_LIMITED),
        (
            api_error(
                MastodonAPIError,
                422,
                "Unprocessable Entity",
                "Validation failed: Text character limit of 500 exceeded",
            ),
            Reason.TOO_LONG,
        ),
        (
            api_error(
                MastodonAPIError,
                422,
                "Unprocessable Entity",
                "Validation failed: Language is not valid",
            ),
            Reason.REJECTED,
        ),
        (api_error(MastodonAPIError, 413, "Payload Too Large", None), Reason.MEDIA_REFUSED),
        (
            api_error(MastodonServiceUnavailableError, 503, "Service Unavailable", None),
            Reason.UNAVAILABLE,
        ),
        (MastodonNetworkError("Could not complete request: timed out"), Reason.UNAVAILABLE),
    ],
)
def test_failure_reason_of_mastodon_errors(exc: Exception, reason: Reason) -> None:
    assert classify_mastodon_error(exc).reason_code == reason  # type: ignore[arg-type]


def test_failure_reason_mastodon_too_long_carries_the_servers_limit() -> None:
    exc = api_error(
        MastodonAPIError,
        422,
        "Unprocessable Entity",
        "Validation failed: Text character limit of 500 exceeded",
    )
    assert classify_mastodon_error(exc).params == {"limit": 500}


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (
            UnauthorizedError(
                xrpc(401, "AuthenticationRequired", "Invalid identifier or password")
            ),
            Reason.NEEDS_RECONNECTION,
        ),
        (
            RateLimitExceededError(xrpc(429, "RateLimitExceeded", **{"retry-after": "7"})),
            Reason.RATE_LIMITED,
        ),
        (
            BadRequestError(
                xrpc(400, "InvalidRecord", "Record/text must not be longer than 300 graphemes")
            ),
            Reason.TOO_LONG,
        ),
        (BadRequestError(xrpc(400, "InvalidRecord", "bad langs")), Reason.REJECTED),
        (
            NetworkError(xrpc(413, "PayloadTooLarge", "request entity too large")),
            Reason.MEDIA_REFUSED,
        ),
        (NetworkError(xrpc(502, "UpstreamFailure")), Reason.UNAVAILABLE),
        (InvokeTimeoutError(), Reason.UNAVAILABLE),
        (httpx.ReadTimeout("timed out"), Reason.UNAVAILABLE),
    ],
)
def test_failure_reason_of_bluesky_errors(exc: Exception, reason: Reason) -> None:
    assert classify_bluesky_error(exc).reason_code == reason


def test_failure_reason_bluesky_image_refused_before_sending() -> None:
    video = MediaItem(data=b"\x00" * 10, mime_type="video/mp4", alt_text="", filename="a.mp4")
    with pytest.raises(PublishError) as caught:
        images_embed((video,))
    assert caught.value.reason_code == Reason.MEDIA_REFUSED


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (PublishError("x", permanent=True, needs_reconnection=True), Reason.NEEDS_RECONNECTION),
        (PublishError("x", permanent=False), Reason.UNAVAILABLE),
        (PublishError("x", permanent=True), Reason.UNKNOWN),
    ],
)
def test_failure_reason_derived_when_the_adapter_gave_none(
    error: PublishError, reason: Reason
) -> None:
    assert error.reason_code == reason


def test_failure_reason_kept_when_the_outcome_becomes_unknown() -> None:
    error = PublishError("slow", permanent=False, reason=Reason.RATE_LIMITED, params={"a": 1})
    unknown = error.outcome_unknown()
    assert (unknown.reason_code, unknown.params) == (Reason.RATE_LIMITED, {"a": 1})

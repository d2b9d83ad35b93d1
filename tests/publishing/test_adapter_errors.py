"""Error classification: the libraries' own exception objects, built as they raise them.

Mastodon.py raises HTTP errors as ``ex_type('Mastodon API returned error', status, reason,
error)``; the atproto SDK wraps a ``Response`` (status, XRPC error content, headers).
No mocks: real exception instances, real response dataclasses.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from atproto_client.exceptions import (  # type: ignore[import-untyped]
    BadRequestError,
    InvokeTimeoutError,
    LoginRequiredError,
    ModelError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError  # type: ignore[import-untyped]
from atproto_client.request import Response  # type: ignore[import-untyped]
from mastodon.errors import (
    MastodonAPIError,
    MastodonBadGatewayError,
    MastodonError,
    MastodonGatewayTimeoutError,
    MastodonIllegalArgumentError,
    MastodonInternalServerError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonReadTimeout,
    MastodonServerError,
    MastodonServiceUnavailableError,
    MastodonUnauthorizedError,
    MastodonVersionError,
)

from publishing.adapters.base import PublishError, checked_server_url
from publishing.adapters.bluesky.errors import classify_bluesky_error, is_dead_session
from publishing.adapters.mastodon.adapter import wait_until_processed
from publishing.adapters.mastodon.errors import classify_mastodon_error

# --- Mastodon ----------------------------------------------------------------------------


def api_error(
    cls: type[MastodonAPIError], status: int, reason: str, error: str | None
) -> MastodonAPIError:
    return cls("Mastodon API returned error", status, reason, error)


def test_mastodon_422_validation_is_permanent_with_server_words() -> None:
    exc = api_error(
        MastodonAPIError,
        422,
        "Unprocessable Entity",
        "Validation failed: Text character limit of 500 exceeded",
    )
    error = classify_mastodon_error(exc)
    assert error.permanent
    assert "character limit of 500 exceeded" in error.message
    assert "422" in error.message


@pytest.mark.parametrize(
    ("cls", "status", "reason"),
    [
        (MastodonUnauthorizedError, 401, "Unauthorized"),
        (MastodonAPIError, 403, "Forbidden"),
        (MastodonNotFoundError, 404, "Not Found"),
        (MastodonAPIError, 410, "Gone"),
        (MastodonAPIError, 413, "Payload Too Large"),
    ],
)
def test_mastodon_client_errors_are_permanent(
    cls: type[MastodonAPIError], status: int, reason: str
) -> None:
    error = classify_mastodon_error(api_error(cls, status, reason, "The access token is invalid"))
    assert error.permanent
    assert str(status) in error.message


def test_mastodon_401_asks_to_reconnect() -> None:
    exc = api_error(MastodonUnauthorizedError, 401, "Unauthorized", "The access token is invalid")
    assert "reconnect" in classify_mastodon_error(exc).message


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (MastodonInternalServerError, 500),
        (MastodonBadGatewayError, 502),
        (MastodonServiceUnavailableError, 503),
        (MastodonGatewayTimeoutError, 504),
        (MastodonServerError, 507),
        (MastodonAPIError, 408),
        (MastodonAPIError, 409),
        (MastodonAPIError, 429),
    ],
)
def test_mastodon_server_errors_are_transient(cls: type[MastodonAPIError], status: int) -> None:
    error = classify_mastodon_error(api_error(cls, status, "Oops", None))
    assert not error.permanent
    assert error.retry_after is None


@pytest.mark.parametrize(
    "exc",
    [
        MastodonNetworkError("Could not complete request: Connection refused"),
        MastodonReadTimeout("Read timed out"),
        MastodonAPIError("Could not parse response as JSON, response code was 200", "boom"),
    ],
)
def test_mastodon_no_verdict_is_transient(exc: MastodonNetworkError) -> None:
    assert not classify_mastodon_error(exc).permanent


def test_mastodon_rate_limit_retry_after_from_reset() -> None:
    error = classify_mastodon_error(
        MastodonRatelimitError("Hit rate limit."), ratelimit_reset=1_000_030.0, now=1_000_000.0
    )
    assert not error.permanent
    assert error.retry_after == 30.0


def test_mastodon_rate_limit_reset_in_the_past_means_now() -> None:
    error = classify_mastodon_error(
        MastodonRatelimitError("Hit rate limit."), ratelimit_reset=999_990.0, now=1_000_000.0
    )
    assert error.retry_after == 0.0


def test_mastodon_rate_limit_without_reset_has_no_retry_after() -> None:
    error = classify_mastodon_error(MastodonRatelimitError("Hit rate limit."))
    assert not error.permanent
    assert error.retry_after is None


@pytest.mark.parametrize(
    "exc", [MastodonIllegalArgumentError("Invalid visibility"), MastodonVersionError("too old")]
)
def test_mastodon_our_own_mistakes_are_permanent(exc: MastodonError) -> None:
    assert classify_mastodon_error(exc).permanent


class ProcessingServer:
    """Answers GET /api/v1/media/:id like a server converting a file: ``url`` null N times."""

    def __init__(self, pending_polls: int) -> None:
        self.pending_polls = pending_polls
        self.polls = 0

    def media(self, media_id: str) -> dict[str, str | None]:
        self.polls += 1
        done = self.polls > self.pending_polls
        return {"id": media_id, "url": "https://files.example/1.png" if done else None}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_mastodon_media_processing_is_awaited() -> None:
    server, clock = ProcessingServer(pending_polls=2), FakeClock()
    media = wait_until_processed(
        server, {"id": "7", "url": None}, max_wait=30, sleep=clock.sleep, clock=clock
    )
    assert media["url"] == "https://files.example/1.png"
    assert server.polls == 3


def test_mastodon_media_processing_too_long_is_transient() -> None:
    server, clock = ProcessingServer(pending_polls=1000), FakeClock()
    with pytest.raises(PublishError) as info:
        wait_until_processed(
            server, {"id": "7", "url": None}, max_wait=30, sleep=clock.sleep, clock=clock
        )
    assert not info.value.permanent
    assert clock.now <= 30


def test_mastodon_processed_media_needs_no_poll() -> None:
    server = ProcessingServer(pending_polls=0)
    wait_until_processed(server, {"id": "7", "url": "https://files.example/1.png"}, max_wait=30)
    assert server.polls == 0


# --- Bluesky -----------------------------------------------------------------------------


def xrpc(status: int, error: str = "", message: str = "", **headers: str) -> Response:
    content = XrpcError(error=error, message=message) if error else b""
    return Response(success=False, status_code=status, content=content, headers=headers)


def test_bluesky_invalid_swap_is_permanent() -> None:
    exc = BadRequestError(xrpc(400, "InvalidSwap", "Record was at bafyrei..."))
    error = classify_bluesky_error(exc)
    assert error.permanent
    assert "InvalidSwap" in error.message
    assert "already exists" in error.message


def test_bluesky_text_too_long_is_permanent_and_says_so() -> None:
    message = "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"
    error = classify_bluesky_error(BadRequestError(xrpc(400, "InvalidRecord", message)))
    assert error.permanent
    assert "longer than Bluesky allows" in error.message


def test_bluesky_invalid_record_is_permanent() -> None:
    error = classify_bluesky_error(BadRequestError(xrpc(400, "InvalidRecord", "bad langs")))
    assert error.permanent
    assert "InvalidRecord: bad langs" in error.message


@pytest.mark.parametrize("status", [401, 403])
def test_bluesky_refused_credentials_are_permanent(status: int) -> None:
    exc = UnauthorizedError(
        xrpc(status, "AuthenticationRequired", "Invalid identifier or password")
    )
    error = classify_bluesky_error(exc)
    assert error.permanent
    assert "Invalid identifier or password" in error.message


def test_bluesky_rate_limit_retry_after_from_reset_at() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    reset = str(int(now.timestamp()) + 120)
    exc = RateLimitExceededError(
        xrpc(429, "RateLimitExceeded", "Rate Limit Exceeded", **{"ratelimit-reset": reset})
    )
    error = classify_bluesky_error(exc, now=now)
    assert not error.permanent
    assert error.retry_after == 120.0


def test_bluesky_rate_limit_falls_back_to_retry_after_header() -> None:
    exc = RateLimitExceededError(xrpc(429, "RateLimitExceeded", **{"retry-after": "7"}))
    assert classify_bluesky_error(exc).retry_after == 7.0


@pytest.mark.parametrize("status", [409, 502])
def test_bluesky_network_error_with_retryable_status_is_transient(status: int) -> None:
    assert not classify_bluesky_error(NetworkError(xrpc(status, "UpstreamFailure"))).permanent


def test_bluesky_network_error_413_is_permanent() -> None:
    error = classify_bluesky_error(
        NetworkError(xrpc(413, "PayloadTooLarge", "request entity too large"))
    )
    assert error.permanent


def test_bluesky_transport_failure_without_response_is_transient() -> None:
    try:
        try:
            raise httpx.ConnectError("Connection refused")
        except httpx.ConnectError as cause:
            raise NetworkError from cause  # as the SDK does
    except NetworkError as exc:
        error = classify_bluesky_error(exc)
    assert not error.permanent
    assert "unreachable" in error.message


def test_bluesky_timeout_is_transient() -> None:
    assert not classify_bluesky_error(InvokeTimeoutError()).permanent


@pytest.mark.parametrize(
    ("status", "permanent"), [(500, False), (503, False), (408, False), (404, True), (501, True)]
)
def test_bluesky_other_statuses(status: int, permanent: bool) -> None:
    assert classify_bluesky_error(RequestException(xrpc(status, "Whatever"))).permanent is permanent


@pytest.mark.parametrize(
    "exc", [httpx.RemoteProtocolError("Server disconnected"), httpx.ReadTimeout("timed out")]
)
def test_bluesky_unwrapped_httpx_transport_errors_are_transient(exc: Exception) -> None:
    assert not classify_bluesky_error(exc).permanent


@pytest.mark.parametrize("exc", [LoginRequiredError(), ModelError("no uri")])
def test_bluesky_unusable_state_is_permanent(exc: Exception) -> None:
    assert classify_bluesky_error(exc).permanent


@pytest.mark.parametrize(
    ("exc", "dead"),
    [
        (BadRequestError(xrpc(400, "ExpiredToken", "Token has expired")), True),
        (BadRequestError(xrpc(400, "InvalidToken", "Token could not be verified")), True),
        (UnauthorizedError(xrpc(401, "AuthenticationRequired")), True),
        (LoginRequiredError(), True),
        (BadRequestError(xrpc(400, "InvalidSwap")), False),
        (UnauthorizedError(xrpc(403, "Forbidden")), False),
        (NetworkError(), False),
        (ValueError("not an SDK error"), False),
    ],
)
def test_bluesky_dead_session_detection(exc: Exception, dead: bool) -> None:
    assert is_dead_session(exc) is dead


# --- Both --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "allow_http", "ok"),
    [
        ("https://mastodon.example/", False, True),
        ("http://127.0.0.1:8000", False, False),
        ("http://127.0.0.1:8000", True, True),
        ("mastodon.example", True, False),
        ("ftp://mastodon.example", True, False),
    ],
)
def test_checked_server_url_refuses_clear_text_unless_allowed(
    url: str, allow_http: bool, ok: bool
) -> None:
    if ok:
        assert checked_server_url(url, allow_http=allow_http) == url.rstrip("/")
    else:
        with pytest.raises(PublishError) as info:
            checked_server_url(url, allow_http=allow_http)
        assert info.value.permanent

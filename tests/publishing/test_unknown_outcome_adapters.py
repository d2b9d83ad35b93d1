"""Which failed writes leave the outcome unknown, and the Mastodon text fingerprint.

Exceptions are built as the libraries raise them: the atproto SDK raises ``from`` the httpx
error; Mastodon.py raises inside ``except``, leaving the requests error as the context.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import requests
from atproto_client.exceptions import (  # type: ignore[import-untyped]
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RequestException,
)
from atproto_client.request import Response  # type: ignore[import-untyped]
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonInternalServerError,
    MastodonNetworkError,
    MastodonRatelimitError,
)
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from publishing.adapters.base import Credentials, PreparedPayload, PublishError
from publishing.adapters.bluesky.errors import may_have_written
from publishing.adapters.mastodon import MastodonAdapter, text_fingerprint, text_of_html
from publishing.adapters.mastodon.errors import may_have_posted

# --- Bluesky -----------------------------------------------------------------------------


def sdk_error(cls: type[Exception], cause: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception as exc:
            raise cls from exc
    except Exception as wrapped:
        return wrapped


def response(status: int) -> Response:
    return Response(success=False, status_code=status, content=None, headers={})


@pytest.mark.parametrize(
    ("exc", "unknown"),
    [
        (sdk_error(InvokeTimeoutError, httpx.ReadTimeout("read")), True),
        (sdk_error(NetworkError, httpx.RemoteProtocolError("closed")), True),
        (sdk_error(NetworkError, httpx.ReadError("reset")), True),
        (sdk_error(InvokeTimeoutError, httpx.ConnectTimeout("connect")), False),
        (sdk_error(NetworkError, httpx.ConnectError("refused")), False),
        (RequestException(response(500)), True),
        (NetworkError(response(502)), True),
        (BadRequestError(response(400)), False),
        (NetworkError(response(409)), False),
        (httpx.RemoteProtocolError("closed"), True),
        (httpx.ConnectError("refused"), False),
    ],
)
def test_bluesky_may_have_written(exc: Exception, unknown: bool) -> None:
    assert may_have_written(exc) is unknown


# --- Mastodon ----------------------------------------------------------------------------


def mastodon_network_error(cause: Exception) -> MastodonNetworkError:
    try:
        try:
            raise cause
        except Exception as exc:
            raise MastodonNetworkError(f"Could not complete request: {exc}")  # noqa: B904
    except MastodonNetworkError as wrapped:
        return wrapped


REFUSED = requests.exceptions.ConnectionError(
    MaxRetryError(None, "/api/v1/statuses", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
)
RESET = requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", OSError(104)))


@pytest.mark.parametrize(
    ("exc", "unknown"),
    [
        (mastodon_network_error(requests.exceptions.ReadTimeout("read")), True),
        (mastodon_network_error(RESET), True),
        (mastodon_network_error(REFUSED), False),
        (mastodon_network_error(requests.exceptions.ConnectTimeout("connect")), False),
        (MastodonInternalServerError("Mastodon API returned error", 500, "Error", None), True),
        (MastodonAPIError("Could not parse response as JSON"), True),
        (MastodonAPIError("Mastodon API returned error", 422, "Unprocessable", "too long"), False),
        (MastodonRatelimitError("Hit rate limit."), False),
    ],
)
def test_mastodon_may_have_posted(exc: MastodonError, unknown: bool) -> None:
    assert may_have_posted(exc) is unknown


def test_fingerprint_matches_the_servers_rendering() -> None:
    text = (
        "Découvrez le guichet unique https://www.service-public.fr/particuliers/vosdroits "
        "avec @agence@social.example.gouv.fr #ServicePublic\n\n— SICOM ^JD"
    )
    # As Mastodon renders it: paragraphs, a link split across spans mid-word, a remote
    # mention shown without its domain, escaped entities.
    content = (
        '<p>Découvrez le guichet unique <a href="https://www.service-public.fr/particuliers/'
        'vosdroits"><span class="invisible">https://www.</span><span class="ellipsis">'
        'service-public.fr/particulier</span><span class="invisible">s/vosdroits</span></a> '
        'avec <span class="h-card"><a class="u-url mention">@<span>agence</span></a></span> '
        '<a class="mention hashtag">#<span>ServicePublic</span></a></p><p>— SICOM ^JD</p>'
    )
    assert text_fingerprint(text_of_html(content)) == text_fingerprint(text)


def test_fingerprint_tells_different_texts_apart() -> None:
    assert text_fingerprint("Ouverture lundi.") != text_fingerprint("Ouverture mardi.")
    assert text_fingerprint("a b") != text_fingerprint("ab")


def test_mastodon_lookup_asks_the_server_even_inside_the_key_window() -> None:
    """No "the key will deduplicate" shortcut: servers other than Mastodon ignore the key.
    A lookup that cannot reach the server never answers "absent" (None)."""
    adapter = MastodonAdapter(timeout=1, allow_http=True)
    credentials = Credentials(server_url="http://127.0.0.1:9", handle="x", secret="t")
    payload = PreparedPayload(
        data={
            "status": "Bonjour.",
            "idempotency_key": "k",
            "prepared_at": datetime.now(UTC).isoformat(),
        }
    )
    # Nothing listens on port 9: the lookup tried, and says it cannot tell.
    with pytest.raises(PublishError) as info:
        adapter.lookup(credentials, payload)
    assert not info.value.permanent

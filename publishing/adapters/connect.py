"""Connecting accounts: the network side of Mastodon's OAuth flow and of Bluesky's identity
resolution. Pure network code like the adapters; every failure is a ``PublishError`` whose
message says what to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonError

from .base import PublishError, checked_server_url
from .mastodon.adapter import sdk_client
from .mastodon.errors import SDK_FAULTS, classify_mastodon_error, classify_sdk_fault

# The least a publishing tool needs: post statuses, upload media, read who it is, and read
# its own statuses: after an unknown outcome the post is looked up there before any resend
# (GET /api/v1/accounts/:id/statuses requires read:statuses on Mastodon and GoToSocial).
MASTODON_SCOPES = ["write:statuses", "write:media", "read:accounts", "read:statuses"]
_CLIENT_NAME = "Porte-voix"
_USER_AGENT = "porte-voix"
# What Bluesky app passwords look like (four groups of four base32 characters). The account's
# main password never has this shape: refusing anything else keeps it out of our database.
APP_PASSWORD = re.compile(r"^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$")
_HANDLE = re.compile(r"^@?([a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+)$", re.IGNORECASE)


@dataclass(frozen=True)
class RegisteredApp:
    client_id: str
    client_secret: str


def mastodon_register_app(
    instance_url: str, *, redirect_uri: str, website: str, timeout: float, allow_http: bool
) -> RegisteredApp:
    """Register Porte-voix on an instance (once per instance and redirect URI)."""
    base = checked_server_url(instance_url, allow_http=allow_http)
    try:
        client_id, client_secret = Mastodon.create_app(
            _CLIENT_NAME,
            scopes=MASTODON_SCOPES,
            redirect_uris=redirect_uri,
            website=website or None,
            api_base_url=base,
            request_timeout=timeout,
            user_agent=_USER_AGENT,
        )
    except MastodonError as exc:
        raise classify_mastodon_error(exc) from exc
    return RegisteredApp(client_id=str(client_id), client_secret=str(client_secret))


def _client(instance_url: str, app: RegisteredApp, *, timeout: float, allow_http: bool) -> Mastodon:
    # sdk_client: log_in would otherwise read and parse the server's version string.
    return sdk_client(
        client_id=app.client_id,
        client_secret=app.client_secret,
        api_base_url=checked_server_url(instance_url, allow_http=allow_http),
        request_timeout=timeout,
        ratelimit_method="throw",
        user_agent=_USER_AGENT,
    )


def mastodon_authorization_url(
    instance_url: str,
    app: RegisteredApp,
    *,
    redirect_uri: str,
    state: str,
    timeout: float,
    allow_http: bool,
    language: str = "en",
) -> str:
    """Where to send the browser: the instance asks its user to authorise these scopes."""
    api = _client(instance_url, app, timeout=timeout, allow_http=allow_http)
    url: str = api.auth_request_url(
        redirect_uris=redirect_uri,
        scopes=MASTODON_SCOPES,
        state=state,
        force_login=True,  # the person at the keyboard picks the official account
        skip_server_info=True,
        allow_http=allow_http,
        lang=language,  # the consent page in the officer's language
    )
    return url


def mastodon_exchange_code(
    instance_url: str,
    app: RegisteredApp,
    *,
    code: str,
    redirect_uri: str,
    timeout: float,
    allow_http: bool,
) -> tuple[str, str]:
    """Trade the authorisation code for a token; returns (token, the account's acct)."""
    api = _client(instance_url, app, timeout=timeout, allow_http=allow_http)
    try:
        token = api.log_in(
            code=code, redirect_uri=redirect_uri, scopes=MASTODON_SCOPES, allow_http=allow_http
        )
        me: Any = api.account_verify_credentials()
    except MastodonAPIError as exc:
        if str(exc.args[0] if exc.args else "").startswith("Granted scopes"):
            # Mastodon.py checks the token's scopes against those asked for.
            raise PublishError(
                f"The instance granted fewer permissions than Porte-voix needs ({exc}). "
                "Nothing was stored; try again and accept every permission asked for.",
                permanent=True,
            ) from exc
        raise classify_mastodon_error(exc) from exc
    except MastodonError as exc:
        raise classify_mastodon_error(exc) from exc
    except SDK_FAULTS as exc:
        raise classify_sdk_fault(exc, doing="connecting the account") from exc
    finally:
        api.session.close()
    return str(token), str(me["acct"])


@dataclass(frozen=True)
class BlueskyIdentity:
    handle: str
    did: str
    pds_url: str


def normalise_handle(value: str) -> str:
    match = _HANDLE.match(value.strip())
    if not match:
        raise PublishError(
            f"{value!r} is not a Bluesky handle: write it like ministere.bsky.social.",
            permanent=True,
        )
    return match.group(1).lower()


def bluesky_resolve(
    handle: str, *, resolver_url: str, plc_url: str, timeout: float, allow_http: bool
) -> BlueskyIdentity:
    """Handle → DID (``resolveHandle``) → DID document → the account's PDS.

    The PDS is read from the DID document, never guessed from the handle: a handle on a
    custom domain usually lives on someone else's server.
    """
    handle = normalise_handle(handle)
    resolver = checked_server_url(resolver_url, allow_http=allow_http)
    try:
        with httpx.Client(timeout=timeout, headers={"User-Agent": _USER_AGENT}) as http:
            did = _handle_did(http, resolver, handle)
            doc = _did_document(http, did, handle, plc_url=plc_url, allow_http=allow_http)
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        raise PublishError(
            f"Resolving {handle} failed: HTTP {status} from {exc.request.url.host}.",
            permanent=400 <= status < 500 and status != 429,
        ) from exc
    except httpx.HTTPError as exc:
        raise PublishError(f"Resolving {handle} failed: {exc}.", permanent=False) from exc
    except (KeyError, ValueError) as exc:
        raise PublishError(
            f"Resolving {handle} gave an unexpected answer.", permanent=True
        ) from exc
    return BlueskyIdentity(handle=handle, did=did, pds_url=_pds_endpoint(doc, handle))


def _handle_did(http: httpx.Client, resolver: str, handle: str) -> str:
    """The DID a handle points to, asked of the resolver (``resolveHandle``)."""
    answer = http.get(
        f"{resolver}/xrpc/com.atproto.identity.resolveHandle", params={"handle": handle}
    )
    if answer.status_code == 400:
        raise PublishError(
            f"No Bluesky account answers to the handle {handle}: check its spelling.",
            permanent=True,
        )
    answer.raise_for_status()
    return str(answer.json()["did"])


def _did_document(
    http: httpx.Client, did: str, handle: str, *, plc_url: str, allow_http: bool
) -> Any:
    """The DID document, from the PLC directory (``did:plc``) or the domain (``did:web``)."""
    if did.startswith("did:plc:"):
        plc = checked_server_url(plc_url, allow_http=allow_http)
        document = http.get(f"{plc}/{quote(did)}")
    elif did.startswith("did:web:"):
        host = did.removeprefix("did:web:")
        document = http.get(f"https://{host}/.well-known/did.json")
    else:
        raise PublishError(f"Unsupported identity {did} for {handle}.", permanent=True)
    document.raise_for_status()
    return document.json()


def _pds_endpoint(doc: Any, handle: str) -> str:
    for service in doc.get("service", []) if isinstance(doc, dict) else []:
        if str(service.get("id", "")).endswith("#atproto_pds"):
            return str(service["serviceEndpoint"]).rstrip("/")
    raise PublishError(f"The identity of {handle} names no PDS.", permanent=True)


def check_app_password(value: str) -> str:
    password = value.strip()
    if not APP_PASSWORD.match(password):
        raise PublishError(
            "This is not an app password. Create one in Bluesky (Settings → Privacy and "
            "security → App passwords) and paste it here: never the account's main password.",
            permanent=True,
        )
    return password

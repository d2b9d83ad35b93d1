"""Connecting official accounts: Mastodon through OAuth, Bluesky with an app password; and
testing a connection from the admin or the command line (``account_check_connection``).

Credentials are encrypted as soon as they arrive and never shown again; each connection is
checked against the server before it is stored, and audited.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import OrgUnit, SocialAccount, User
from accounts.services import (
    social_account_connect,
    social_account_connection_works,
    social_account_needs_reconnection,
    social_account_set_server_info,
)
from editorial.services import audit_record
from publishing.adapters import get_adapter
from publishing.adapters.base import Credentials, PublishError, checked_server_url
from publishing.adapters.connect import (
    MASTODON_SCOPES,
    RegisteredApp,
    bluesky_resolve,
    check_app_password,
    mastodon_authorization_url,
    mastodon_exchange_code,
    mastodon_register_app,
)
from publishing.adapters.mastodon import MastodonAdapter, ServerInfo
from publishing.models import MastodonApp
from publishing.services.network import adapter_for, credentials_of

N = SocialAccount.Network


def callback_url() -> str:
    return str(settings.SITE_URL).rstrip("/") + reverse("publishing:connect_mastodon_callback")


def _instance(url: str) -> str:
    return checked_server_url(url.strip(), allow_http=settings.PUBLISH_ALLOW_HTTP)


def _registered_app(instance_url: str, redirect_uri: str) -> RegisteredApp:
    """The instance's registration, made on first use and kept (encrypted secret).

    A registration made for fewer scopes than Porte-voix now asks (before read:statuses)
    is made again: an instance refuses to authorise scopes its app was not registered for.
    """
    app = MastodonApp.objects.filter(instance_url=instance_url, redirect_uri=redirect_uri).first()
    if app is not None and not set(MASTODON_SCOPES) <= set(app.scopes.split()):
        registered = _register(instance_url, redirect_uri)
        app.client_id = registered.client_id
        app.scopes = " ".join(MASTODON_SCOPES)
        app.set_client_secret(registered.client_secret)
        app.save()
    if app is None:
        registered = _register(instance_url, redirect_uri)
        app = MastodonApp(
            instance_url=instance_url,
            redirect_uri=redirect_uri,
            client_id=registered.client_id,
            scopes=" ".join(MASTODON_SCOPES),
        )
        app.set_client_secret(registered.client_secret)
        try:
            with transaction.atomic():
                app.save()
        except IntegrityError:
            # Two officers started at once: keep the registration that was stored first.
            app = MastodonApp.objects.get(instance_url=instance_url, redirect_uri=redirect_uri)
    return RegisteredApp(client_id=app.client_id, client_secret=app.get_client_secret())


def _register(instance_url: str, redirect_uri: str) -> RegisteredApp:
    """Register Porte-voix on the instance now (for every scope it asks today)."""
    return mastodon_register_app(
        instance_url,
        redirect_uri=redirect_uri,
        website=settings.SITE_URL,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
    )


@dataclass(frozen=True)
class OAuthStart:
    authorize_url: str
    state: str
    instance_url: str


def mastodon_connect_start(
    *, instance_url: str, unit: OrgUnit, by: User, language: str = "en"
) -> OAuthStart:
    """Register on the instance if needed and build the consent URL with a fresh state.

    The caller keeps ``state`` (in the session) and compares it on the way back.
    """
    permissions.require_unit_admin(by, unit)
    instance = _instance(instance_url)
    redirect_uri = callback_url()
    app = _registered_app(instance, redirect_uri)
    state = secrets.token_urlsafe(32)
    url = mastodon_authorization_url(
        instance,
        app,
        redirect_uri=redirect_uri,
        state=state,
        language=language,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
    )
    return OAuthStart(authorize_url=url, state=state, instance_url=instance)


def mastodon_connect_finish(
    *, instance_url: str, unit: OrgUnit, code: str, by: User
) -> tuple[SocialAccount, bool]:
    """Trade the code for a token, then store the account (created or reconnected)."""
    permissions.require_unit_admin(by, unit)
    instance = _instance(instance_url)
    redirect_uri = callback_url()
    app = _registered_app(instance, redirect_uri)
    token, acct = mastodon_exchange_code(
        instance,
        app,
        code=code,
        redirect_uri=redirect_uri,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
    )
    account, created = _store(
        network=N.MASTODON, server_url=instance, handle=acct, unit=unit, secret=token, by=by
    )
    adapter = get_adapter(
        N.MASTODON,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
    )
    assert isinstance(adapter, MastodonAdapter)
    # log_in checked that every scope asked for was granted.
    mastodon_store_server_info(
        account,
        adapter.fetch_server_info(
            Credentials(server_url=instance, handle=acct, secret=token),
            granted_scopes=tuple(MASTODON_SCOPES),
        ),
    )
    return account, created


def mastodon_store_server_info(account: SocialAccount, info: ServerInfo) -> None:
    """Keep what the server said about itself; a token lacking a scope Porte-voix needs
    flags the account for reconnection, in words."""
    social_account_set_server_info(account_id=account.pk, info=info.as_json())
    if info.missing_scopes:
        social_account_needs_reconnection(
            account_id=account.pk,
            reason=missing_scopes_reason(info.missing_scopes),
            missing_scopes=info.missing_scopes,
        )


def missing_scopes_reason(scopes: Sequence[str]) -> str:
    # In the language of whoever is connected (test connection, connect); the accounts page
    # renders the sentence again in the reader's language from the stored scopes.
    return _(
        "The account's access lacks the permission %(scopes)s that Porte-voix now needs (to "
        "check whether a post already went out before sending it again). Reconnect the "
        "account to grant the new permission."
    ) % {"scopes": ", ".join(scopes)}


def bluesky_connect(
    *, handle: str, app_password: str, unit: OrgUnit, by: User
) -> tuple[SocialAccount, bool]:
    """Resolve the handle to its PDS, log in once with the app password, store it."""
    permissions.require_unit_admin(by, unit)
    password = check_app_password(app_password)
    identity = bluesky_resolve(
        handle,
        resolver_url=settings.BLUESKY_HANDLE_RESOLVER_URL,
        plc_url=settings.BLUESKY_PLC_URL,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
    )
    adapter = get_adapter(
        N.BLUESKY,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
    )
    did = adapter.verify(
        Credentials(server_url=identity.pds_url, handle=identity.handle, secret=password)
    )
    if did != identity.did:
        raise PublishError(
            f"The PDS logged in {did}, but {identity.handle} is {identity.did}.", permanent=True
        )
    return _store(
        network=N.BLUESKY,
        server_url=identity.pds_url,
        handle=identity.handle,
        unit=unit,
        secret=password,
        by=by,
    )


@transaction.atomic
def _store(
    *, network: str, server_url: str, handle: str, unit: OrgUnit, secret: str, by: User
) -> tuple[SocialAccount, bool]:
    existing = SocialAccount.objects.filter(
        network=network, server_url=server_url, handle=handle
    ).first()
    if existing is not None:
        # Reconnecting needs the right on the unit that owns the account, not only on the
        # unit picked in the form.
        permissions.require_unit_admin(by, existing.unit)
    account, created = social_account_connect(
        network=network,
        server_url=server_url,
        handle=handle,
        unit=unit,
        credentials={"secret": secret},
    )
    audit_record(
        verb="account_connected" if created else "account_reconnected",
        actor=by,
        account_id=account.pk,
        account=str(account),
        server=server_url,
        unit=account.unit.code,
    )
    return account, created


def account_check_connection(*, account_id: int) -> str:
    """Test an account's credentials against its server and refresh what we cache from it.

    Returns the remote identity (Mastodon ``acct``, Bluesky DID); raises ``PublishError``
    (or ``CredentialsError``) with words when the connection does not work.
    """
    account = SocialAccount.objects.get(pk=account_id)
    adapter = adapter_for(account)
    credentials = credentials_of(account)
    try:
        identity = adapter.verify(credentials)
    except PublishError as exc:
        if exc.needs_reconnection:
            social_account_needs_reconnection(account_id=account.pk, reason=exc.message)
        raise
    if isinstance(adapter, MastodonAdapter):
        # The software, limits and scopes, read again: a server may have been upgraded, and
        # an account connected before read:statuses was asked for is found out here.
        info = adapter.fetch_server_info(
            credentials, granted_scopes=tuple(account.server_info.get("scopes") or ())
        )
        if info.missing_scopes:
            social_account_connection_works(account_id=account.pk)  # a fresh reason below
            mastodon_store_server_info(account, info)
            raise PublishError(
                missing_scopes_reason(info.missing_scopes),
                permanent=True,
                needs_reconnection=True,
                missing_scopes=info.missing_scopes,
            )
        mastodon_store_server_info(account, info)
    social_account_connection_works(account_id=account.pk)
    return identity

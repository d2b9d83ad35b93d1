"""Testing an account's connection from the admin or the command line."""

from __future__ import annotations

from accounts.models import SocialAccount
from accounts.services import social_account_connection_works, social_account_needs_reconnection
from publishing.adapters import MastodonAdapter
from publishing.adapters.base import PublishError
from publishing.services.common import adapter_for, credentials_of
from publishing.services.connect import mastodon_store_server_info, missing_scopes_reason


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

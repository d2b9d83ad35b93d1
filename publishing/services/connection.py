"""Testing an account's connection from the admin or the command line."""

from __future__ import annotations

from accounts.models import SocialAccount
from accounts.services import (
    social_account_connection_works,
    social_account_needs_reconnection,
    social_account_set_limits,
)
from publishing.adapters import MastodonAdapter
from publishing.adapters.base import PublishError
from publishing.services.common import adapter_for, credentials_of


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
    social_account_connection_works(account_id=account.pk)
    if isinstance(adapter, MastodonAdapter):
        max_characters, per_url = adapter.fetch_limits(credentials)
        social_account_set_limits(
            account_id=account.pk,
            max_characters=max_characters,
            characters_reserved_per_url=per_url,
        )
    return identity

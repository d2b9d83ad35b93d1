"""An account's adapter and credentials, as the send, the deletion and the connection test
use them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from accounts.models import SocialAccount
from accounts.services import social_account_store_session
from publishing.adapters import Adapter, get_adapter
from publishing.adapters.base import Credentials


def adapter_for(
    account: SocialAccount, on_session_change: Callable[[str], None] | None = None
) -> Adapter:
    """The account's adapter; a new session is stored at once unless ``on_session_change``
    takes it (the send threads, which keep off the database, hand it to the caller)."""

    def store(session: str) -> None:
        social_account_store_session(account_id=account.pk, session=session)

    return get_adapter(
        account.network,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
        on_session_change=on_session_change or store,
    )


def credentials_of(account: SocialAccount) -> Credentials:
    data = account.get_credentials()
    return Credentials(
        server_url=account.server_url,
        handle=account.handle,
        secret=str(data.get("secret", "")),
        session=account.get_session(),
    )

"""What the scheduler and the send path share: the adapter and credentials of an account,
and reporting a post's outcome once all its publications have ended."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import SocialAccount
from accounts.services import social_account_store_session
from editorial.services import post_record_outcome
from publishing.adapters import Adapter, get_adapter
from publishing.adapters.base import Credentials
from publishing.models import Publication, PublicationState

P = PublicationState


def adapter_for(account: SocialAccount) -> Adapter:
    return get_adapter(
        account.network,
        timeout=settings.PUBLISH_REQUEST_TIMEOUT,
        allow_http=settings.PUBLISH_ALLOW_HTTP,
        on_session_change=lambda s: social_account_store_session(account_id=account.pk, session=s),
    )


def credentials_of(account: SocialAccount) -> Credentials:
    data = account.get_credentials()
    return Credentials(
        server_url=account.server_url,
        handle=account.handle,
        secret=str(data.get("secret", "")),
        session=account.get_session(),
    )


def finish_post_if_done(post_id: int) -> None:
    publications = list(
        Publication.objects.filter(post_id=post_id)
        .select_related("account")
        .order_by("account_id", "part")
    )
    if not all(p.is_terminal for p in publications):
        return
    published = all(p.state == P.PUBLISHED for p in publications)
    details: dict[str, Any] = {
        "publications": [
            {
                "account": str(p.account),
                "part": p.part,
                "state": p.state,
                "url": p.remote_url,
                "error": p.last_error,
            }
            for p in publications
        ]
    }
    if not published:
        details["error"] = "; ".join(
            f"{p.account}: {p.last_error}" for p in publications if p.state == P.FAILED
        )
    post_record_outcome(post_id=post_id, published=published, details=details)

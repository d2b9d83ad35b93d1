"""System checks for publishing settings that are valid but unsafe together."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register()
def dead_worker_settles(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A dead worker's claim is looked up as soon as it is reclaimed. Its last request left at
    most a heartbeat after its last beat and may still be on its way to the server for about
    two request timeouts (the same wait the Mastodon adapter leaves after an unknown outcome).
    Looked up earlier, a server that ignores Idempotency-Key (GoToSocial, Takahē...) could
    create the status after the lookup found nothing, and the resend would make a second one.
    """
    needed = settings.PUBLISH_WORKER_HEARTBEAT_SECONDS + 2 * settings.PUBLISH_REQUEST_TIMEOUT
    if needed <= settings.PUBLISH_WORKER_DEAD_SECONDS:
        return []
    return [
        Warning(
            f"PUBLISH_WORKER_DEAD_SECONDS ({settings.PUBLISH_WORKER_DEAD_SECONDS:g}) is below "
            f"PUBLISH_WORKER_HEARTBEAT_SECONDS + 2 x PUBLISH_REQUEST_TIMEOUT ({needed:g}).",
            hint=(
                "A dead worker's last request may still reach a server that ignores "
                "Idempotency-Key after the lookup: raise PUBLISH_WORKER_DEAD_SECONDS or lower "
                "PUBLISH_REQUEST_TIMEOUT."
            ),
            id="publishing.W001",
        )
    ]

"""Publishing services: the scheduler (``tick``) and the single send path
(``publications_send``, ``publication_send`` for one), plus the connection test. Tasks,
commands and tests call these.

- ``scheduler``: starts due posts, reclaims lost work, hands publications to the broker.
- ``sending``: claims a batch of publications, looks up an unknown outcome, sends, records.
- ``retraction``: deletes retracted posts from the networks, with the same outbox habits.
- ``common``: the account's adapter and credentials; a post's outcome once all are done.
"""

from __future__ import annotations

from publishing.services.connection import account_check_connection
from publishing.services.retraction import publication_delete
from publishing.services.scheduler import TickResult, tick
from publishing.services.sending import publication_send, publications_send

__all__ = [
    "TickResult",
    "account_check_connection",
    "publication_delete",
    "publication_send",
    "publications_send",
    "tick",
]

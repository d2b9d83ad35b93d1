"""Publishing services. Tasks, commands, views and tests call these.

- ``scheduler``: the tick: starts due posts, creates their publications, queues what is due.
- ``sweeper``: takes back lost work (queue messages, dead or hung claims, deletions).
- ``pacing`` and ``late``: who may go now (concurrency, rate budget, backlog), the late hold.
- ``broker``: queues, batches and ETAs of the messages handed to Celery.
- ``sending``: claims a batch, sends it on the ``send_threads``, records it (``attempts``),
  with the posts and payloads built beforehand (``payloads``).
- ``retraction``: deletes retracted posts from the networks, with the same outbox habits.
- ``outcomes``: reports a post's outcome to editorial once all its publications ended.
- ``network``: an account's adapter and credentials.
- ``connection``: connecting accounts (OAuth, app password) and testing a connection.
- ``heartbeat``: worker heartbeats, which say whose claims are dead.
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

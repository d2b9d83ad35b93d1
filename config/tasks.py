"""A Celery task base that enqueues only once the caller's transaction has committed.

As pretix's ``TransactionAwareTask``: ``apply_async`` (and so ``delay``) inside an atomic
block hands the message to ``transaction.on_commit`` instead of to the broker. A worker then
never receives an id whose row it cannot see yet (the transaction has not committed) or will
never see (it rolled back), and a call site cannot forget to wait for the commit. Outside a
transaction it sends at once, as Celery does.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from celery import Task
from django.db import transaction


class TransactionAwareTask(Task[Any, Any]):
    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        """The broker's result outside a transaction; None inside one (sent on commit)."""
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(partial(super().apply_async, *args, **kwargs))
            return None
        return super().apply_async(*args, **kwargs)

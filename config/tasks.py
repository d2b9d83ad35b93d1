"""The base of every Celery task of the project: it enqueues only once the caller's
transaction has committed.

As pretix's ``TransactionAwareTask``: ``apply_async`` (and so ``delay``) inside an atomic
block hands the message to ``transaction.on_commit`` instead of to the broker. A worker then
never receives an id whose row it cannot see yet (the transaction has not committed) or will
never see (it rolled back), and a call site cannot forget to wait for the commit. Outside a
transaction it sends at once, as Celery does. The app makes it the base of every task
(``config/celery.py``, ``task_cls``), ``@shared_task`` included.

A task whose lost message something else recovers is a ``BestEffortTask``: one short attempt
to reach the broker, no kombu retry loop, and a failure is logged, never raised. A broker that
is down or hangs then neither fails nor holds the request (or the worker) that queues it, and
the change it committed stands.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, ClassVar

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)

# A broker that does not answer (host down, not refusing) costs a best-effort send at most
# this, per socket operation; Redis's own default is unbounded (the system's TCP timeout).
BEST_EFFORT_TIMEOUT_SECONDS = 1.0


class TransactionAwareTask(Task[Any, Any]):
    # Set by BestEffortTask: a send is tried once, briefly, and its failure logged.
    best_effort: ClassVar[bool] = False
    # What does the work when the message never reaches the broker, named in the warning.
    recovered_by: ClassVar[str] = ""

    def apply_async(self, *args: Any, **options: Any) -> Any:
        """The broker's result when sent at once; None when it waits for the commit, or when a
        best-effort send failed."""
        if transaction.get_connection().in_atomic_block:
            # Bound now: a test that replaces ``send_now`` sees what would reach the broker.
            transaction.on_commit(partial(self.send_now, *args, **options))
            return None
        return self.send_now(*args, **options)

    def send_now(self, *args: Any, **options: Any) -> Any:
        """Hand the message to the broker now (``apply_async`` decides when)."""
        if not self.best_effort:
            return super().apply_async(*args, **options)
        transport_options = {
            **self.app.conf.broker_transport_options,
            "max_retries": 0,
            "socket_connect_timeout": BEST_EFFORT_TIMEOUT_SECONDS,
            "socket_timeout": BEST_EFFORT_TIMEOUT_SECONDS,
        }
        try:
            with self.app.connection_for_write(transport_options=transport_options) as conn:
                sent = {**options, "producer": conn.Producer(auto_declare=False), "retry": False}
                return super().apply_async(*args, **sent)
        except Exception:
            logger.warning(
                "task %s not queued; recovered by %s",
                self.name,
                self.recovered_by,
                exc_info=True,
            )
            return None


class BestEffortTask(TransactionAwareTask):
    """For a task whose lost message a sweep (or the next occasion) recovers, as each says
    with ``@shared_task(base=BestEffortTask, recovered_by=...)``. The publishing tasks are not:
    their send retries as Celery's does and its error reaches the caller."""

    best_effort = True
    recovered_by = "a sweep"

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Every task, @shared_task included, enqueues on commit (config/tasks.py): no call site has
# to remember it.
app = Celery("porte_voix", task_cls="config.tasks:TransactionAwareTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Connects the periodic heap trim to the workers' tasks (see config/memory.py).
from config import memory  # noqa: E402, F401


@worker_init.connect
@worker_process_init.connect
def _publishing_heartbeat(**_kwargs: Any) -> None:
    """Worker processes beat (publishing/services/heartbeat.py): a dead one's claims are
    reclaimed within PUBLISH_WORKER_DEAD_SECONDS. Imported here, once Django is set up."""
    from publishing.services import heartbeat

    heartbeat.enable()

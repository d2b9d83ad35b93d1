from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("porte_voix")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Connects the periodic heap trim to the workers' tasks (see config/memory.py).
from config import memory  # noqa: E402, F401

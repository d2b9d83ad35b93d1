"""Give freed heap memory back to the system in long-lived worker processes.

A worker's sends run on several threads and in C extensions (pydantic-core, psycopg, the
TLS stack); glibc keeps what they freed in per-thread arenas, so the resident size creeps
up by a few megabytes although Python's own objects do not grow (measured with tracemalloc:
docs/benchmarks.md, "Worker memory"). ``malloc_trim`` returns those free pages. It walks the
heap, so it runs at most every ``MEMORY_TRIM_SECONDS`` after a task, not after each one.
"""

from __future__ import annotations

import ctypes
import threading
import time
from typing import Any

from celery.signals import task_postrun
from django.conf import settings

_lock = threading.Lock()
_last = [0.0]
_libc: Any = None


def _trim_function() -> Any:
    global _libc  # noqa: PLW0603 (loaded once per process, on first use)
    if _libc is None:
        try:
            # By its soname: ctypes.util.find_library would run ldconfig in a subprocess.
            libc: Any = ctypes.CDLL("libc.so.6")
        except OSError:
            libc = None  # not glibc
        _libc = getattr(libc, "malloc_trim", False) or False
    return _libc


def trim() -> bool:
    """Return free heap pages to the system now; False where libc has no malloc_trim."""
    function = _trim_function()
    if not function:
        return False
    function(0)
    return True


@task_postrun.connect
def _trim_after_tasks(**_kwargs: Any) -> None:
    period = float(settings.MEMORY_TRIM_SECONDS)
    if period <= 0:
        return
    now = time.monotonic()
    with _lock:
        if now - _last[0] < period:
            return
        _last[0] = now
    trim()

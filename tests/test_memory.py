"""The workers' periodic heap trim (config/memory.py)."""

from __future__ import annotations

import platform
from typing import Any

import pytest

from config import memory


def test_trim_returns_free_heap_pages_where_libc_can() -> None:
    # Allocate and free a few megabytes of small objects so there is something to return.
    junk = [bytearray(4096) for _ in range(2000)]
    del junk
    # glibc has malloc_trim (Debian, the deployment target); other libcs are left alone.
    assert memory.trim() is (platform.libc_ver()[0] == "glibc")


def test_trim_runs_at_most_once_per_period_after_tasks(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    clock = [1000.0]

    def counting() -> bool:
        calls.append(1)
        return True

    monkeypatch.setattr(memory, "trim", counting)
    monkeypatch.setattr("config.memory.time.monotonic", lambda: clock[0])
    monkeypatch.setattr(memory, "_last", [0.0])
    settings.MEMORY_TRIM_SECONDS = 10
    memory._trim_after_tasks()
    memory._trim_after_tasks()
    clock[0] += 9
    memory._trim_after_tasks()
    assert len(calls) == 1
    clock[0] += 2
    memory._trim_after_tasks()
    assert len(calls) == 2
    settings.MEMORY_TRIM_SECONDS = 0
    clock[0] += 100
    memory._trim_after_tasks()
    assert len(calls) == 2

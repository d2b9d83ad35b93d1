"""A real Celery worker (with its embedded beat) in another process, for end-to-end tests.

It uses the test database pytest-django created and the Redis started by `make test`:
nothing is eager, the task goes through the broker like in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail(
            "End-to-end tests need Postgres shared with the worker process: run them through "
            "`make test` (it starts Postgres and Redis and sets DATABASE_URL and REDIS_URL)."
        )
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db: None) -> Iterator[subprocess.Popen[bytes]]:
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL is not set: run the end-to-end tests through `make test`.")
    log = Path(tempfile.mkstemp(prefix="porte-voix-worker-", suffix=".log")[1])
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PUBLISH_TICK_SECONDS": "0.5",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(log.with_suffix(".beat")),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--pool",
                "threads",
                "--concurrency",
                "2",
                "-l",
                "info",
                "-s",
                str(log.with_suffix(".beat")),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + 180  # generous: Celery starts slowly on a busy machine
    while b"ready." not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"Celery worker did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print(log.read_text()[-3000:])  # shown by pytest on failure

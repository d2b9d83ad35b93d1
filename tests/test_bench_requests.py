"""Smoke run of the requests benchmark: it runs and reports; its timings are not checked.

A subprocess on SQLite and the default broker (the bench's throwaway DATA_DIR), a fast SMTP server,
a few iterations (about half a minute on a busy machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_requests_bench_reports_every_action_and_no_mail_during_requests() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    quick = ["--iterations", "3", "--warmup", "1", "--smtp-delay", "0.05", "--max-p95-ms", "1e9"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.requests_bench", *quick],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    report = json.loads(done.stdout)
    assert sorted(report["actions"]) == ["approve", "schedule", "submit"]
    for figures in report["actions"].values():
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]
    assert report["iterations"] == 3
    assert report["smtp_connections_during_requests"] == 0
    assert report["notifications_pending"] > 0  # queued for a worker, not sent
    assert report["emails_received_by_smtp"] == 1  # the task, run afterwards, does send
    assert report["goal"]["met"] is True

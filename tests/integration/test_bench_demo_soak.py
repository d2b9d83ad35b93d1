"""Smoke runs of the demo soak (bench/demo_soak.py): under a minute of posts each.

They start the demo's own processes (embedded broker, worker, beat under the supervisor) and
the peers in a subprocess. Lateness and memory are reported, never judged here: only that
every post went out exactly once, that the queues drained, and what the supervisor saw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _soak(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.demo_soak", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.stdout, done.stderr.decode()[-3000:]
    report: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == (0 if report["passed"] else 1)
    return report


def test_demo_soak_quick_run_publishes_every_post_exactly_once() -> None:
    report = _soak("--minutes", "0.4", "--every", "3")

    assert report["passed"], report
    assert report["posts"] >= 5
    assert report["published"] == report["expected_publications"] == 2 * report["posts"]
    assert report["remote"]["exactly_once"]
    assert report["remote"]["mastodon"]["found"] == report["posts"]
    assert report["broker_left"] == {
        "celery": 0,
        "publish.mastodon": 0,
        "publish.bluesky": 0,
        "unacked": 0,
    }
    assert report["exits"] == [] and report["unrecoverable_errors_in_worker_log"] == 0
    # The demo's processes: broker, the publishing worker, the mail worker (-Q email), beat.
    assert set(report["rss_mb"]) == {"broker", "worker", "mail", "beat"}
    assert set(report["lateness_s"]) >= {"p50", "p95", "max"}


def test_demo_soak_survives_a_killed_worker_and_a_killed_broker() -> None:
    # Kills at 15 s (worker) and 30 s (broker): the supervisor restarts each, the broker's
    # append-only file keeps what was queued, and every post still goes out once. The message
    # a killed worker held is never acknowledged: the tick re-queues its publication after
    # PUBLISH_QUEUE_STALE_SECONDS (shortened here from 2 minutes), and the backlog pacing
    # that would then space them 30 s apart is kept out of this short run.
    quick_reclaim = {"PUBLISH_QUEUE_STALE_SECONDS": "10", "PUBLISH_BACKLOG_GRACE_SECONDS": "600"}
    report = _soak("--minutes", "0.6", "--every", "3", "--kill-every", "15", env=quick_reclaim)

    assert report["passed"], report
    assert report["killed"] == ["worker", "broker"]
    killed = [(e["name"], e["returncode"], e["restarted"]) for e in report["exits"]]
    assert ("worker", -9, True) in killed and ("broker", -9, True) in killed
    # Whatever else stopped (a worker losing its broker exits) was restarted too.
    assert all(restarted for _, _, restarted in killed)
    assert report["remote"]["exactly_once"]
    assert report["published"] == report["expected_publications"]

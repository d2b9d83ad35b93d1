"""Smoke run of the worker memory benchmark: a tiny N must keep working.

It starts its own servers, one worker and beat in a subprocess (under a minute); the memory
figures are not judged, only that every post went out once and the report is complete.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_worker_memory_quick_mode_samples_rss_and_publishes_everything_once() -> None:
    quick = ["--publications", "60", "--accounts", "4", "--chunk", "20", "--interval", "0.5"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker_memory", *quick, "--timeout", "240"],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    report = json.loads(done.stdout)

    assert report["publications"]["published"] == report["publications"]["publications"] == 60
    assert report["remote"]["exactly_once"]
    assert report["remote"]["bluesky"]["found"] + report["remote"]["mastodon"]["found"] == 60

    worker = report["worker"]
    assert worker["processes"] == 1 and worker["pool"] == "threads"
    assert worker["max_tasks_per_child"] is None and not worker["recycled"]

    main = report["rss"]["main"]
    assert main["baseline_rss_mb"] > 0 and main["max_rss_mb"] >= main["last_rss_mb"] > 0
    assert main["by_step"] and main["by_step"][-1]["published"] == 60
    assert main["slope_second_half_mb_per_1000"] is not None
    assert report["samples"] and all(row[2] > 0 for row in report["samples"])
    assert report["samples"][-1][1] == 60
    assert set(report["goal"]) >= {"limit_mb", "flat_threshold_mb_per_1000", "passed"}
    assert report["import_only_rss_mb"] > 0

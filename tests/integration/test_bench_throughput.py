"""Smoke run of the throughput benchmark: the quick mode must keep working.

It starts its own servers and workers in a subprocess (about a minute); the figures are not
checked, only that every post went out once both ways and the report is complete.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_publish_throughput_quick_mode_publishes_everything_once() -> None:
    quick = ["--posts", "40", "--accounts", "4", "--runs", "1", "--timeout", "400"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.publish_throughput", *quick],
        cwd=ROOT,
        capture_output=True,
        timeout=450,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    report = json.loads(done.stdout)
    run = report["runs"][0]
    assert report["remote"]["exactly_once"]
    assert run["pipeline"]["published"] == run["raw"]["published"] == 40
    # One raw loop per thread count (default: 8 and the pipeline's 2 * 1 * 8 sends in flight),
    # the fastest being the reference.
    by_threads = run["raw_by_threads"]
    assert sorted(by_threads) == ["16", "8"]
    assert all(r["published"] == 40 for r in by_threads.values())
    assert run["raw"]["posts_per_s"] == max(r["posts_per_s"] for r in by_threads.values())
    assert run["ratio"] > 0

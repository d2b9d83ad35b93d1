"""Worst-case time of the charter on hostile text: every rule, then the whole check.

    .venv/bin/python -m bench.charter_worst_case            # best of 3 runs per case
    .venv/bin/python -m bench.charter_worst_case --runs 1   # quick

The texts are the robustness tests' (bench/odd_texts.py): 100,000-character pastes,
lone surrogates, endless combining marks, "https://" followed by 50,000 dots... The tests
check that nothing raises on them; this measures how long each takes, because a regular
expression with catastrophic backtracking turns a paste into minutes of a worker's time.
Each case is timed ``--runs`` times and its best time kept (the machine's noise only ever
adds time). Goals: each rule on each text <= 2 s (a linear scan takes milliseconds), the
whole check with its counters <= 5 s. Exits 1 when a goal is not met.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from bench.odd_texts import (  # noqa: E402
    CHECK_ODD_TEXTS,
    ODD_TEXTS,
    check_snapshot,
    rule_snapshot,
)
from charter.engine import CharterConfig, check, counters  # noqa: E402
from charter.rules import RULES  # noqa: E402
from charter.snapshot import PostSnapshot  # noqa: E402

GOAL_RULE_S = 2.0
GOAL_CHECK_S = 5.0


def best_of(runs: int, work: Callable[..., object], *args: object) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work(*args)
        best = min(best, time.perf_counter() - started)
    return best


def whole_check(snapshot: PostSnapshot, config: CharterConfig) -> None:
    check(snapshot, config)
    counters(snapshot)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--show", type=int, default=5, help="how many of the slowest to list")
    args = parser.parse_args()

    rules: list[tuple[float, str]] = []
    for name, text in ODD_TEXTS.items():
        snapshot = rule_snapshot(text)
        for code, rule in RULES.items():
            rules.append((best_of(args.runs, rule.run, snapshot), f"{code} on {name}"))
    config = CharterConfig.from_params(
        {"terms.forbidden": {"terms": ["a", "é", "b c"]}}, version_id=None, version_label="bench"
    )
    checks: list[tuple[float, str]] = []
    for name, text in CHECK_ODD_TEXTS.items():
        snapshot = check_snapshot(text)
        checks.append((best_of(args.runs, whole_check, snapshot, config), name))

    met = True
    for label, cases, goal in (
        ("rule", rules, GOAL_RULE_S),
        ("whole check", checks, GOAL_CHECK_S),
    ):
        cases.sort(reverse=True)
        print(f"{label}: {len(cases)} cases, slowest {cases[0][0]:.3f} s (goal <= {goal:g} s)")
        for seconds, case in cases[: args.show]:
            print(f"  {seconds:8.3f} s  {case}")
        met = met and cases[0][0] <= goal
    print(f"goal: {'met' if met else 'NOT met'} (best of {args.runs} runs per case)")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()

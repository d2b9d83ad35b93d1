"""Server time of the compose page's live check (issue #4: p95 <= 30 ms).

    .venv/bin/python -m peers.services run -- .venv/bin/python bench/live_check_bench.py
    ... bench/live_check_bench.py --requests 300 --runs 1        # quick

Runs against the database in DATABASE_URL (the throwaway PostgreSQL of
``peers.services``), migrated into a fresh schema. An officer with a Mastodon and a
Bluesky account posts ``--requests`` realistic drafts (the charter benchmark's generator)
to ``/posts/live-check/`` exactly as the page's htmx does, through Django's full stack
(middleware, session, permissions, snapshot, charter, template). Each request is timed
around the handler call, in process: the figure is the server's time, without the network.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.charter_bench import cpu_model, make_post, percentile  # noqa: E402

GOAL_P95_MS = 30.0


def _setup() -> tuple[Client, list[int]]:
    from accounts.models import Membership
    from accounts.services import membership_create
    from bench.people import make_account, make_unit, make_user

    unit = make_unit(name="Direction générale", code="dgx")
    officer = make_user(username=f"bench-{time.time_ns()}")
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    accounts = [make_account(unit, "mastodon").pk, make_account(unit, "bluesky").pk]
    client = Client(headers={"accept-language": "fr"})
    client.force_login(officer)
    return client, accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        sys.exit("Run it through peers.services (PostgreSQL), as the docstring shows.")
    setup_test_environment()
    call_command("migrate", verbosity=0)
    client, accounts = _setup()
    rng = random.Random(args.seed)
    drafts = [
        {
            "accounts": accounts,
            "text": post.text,
            "language": "fr",
            "has_image": "1" if post.media else "0",
            "alt_text": post.media[0].alt_text if post.media else "",
            "requested_publish_at": post.scheduled_for.strftime("%Y-%m-%dT%H:%M")
            if post.scheduled_for
            else "",
        }
        for post in (make_post(rng, i) for i in range(args.requests))
    ]
    print(
        f"machine: {os.cpu_count()} CPUs, {cpu_model()}, load {os.getloadavg()[0]:.2f}; "
        f"Python {platform.python_version()}; database {engine.rsplit('.', 1)[-1]}"
    )
    for draft in drafts[:50]:  # warm-up: templates, catalogues, regexes, connections
        client.post("/posts/live-check/", draft)
    p95s = []
    for run in range(1, args.runs + 1):
        timings = []
        for draft in drafts:
            started = time.perf_counter_ns()
            response = client.post("/posts/live-check/", draft)
            timings.append(time.perf_counter_ns() - started)
            assert response.status_code == 200, response.status_code
        timings.sort()
        p95 = percentile(timings, 0.95)
        p95s.append(p95)
        print(
            f"run {run}: {len(timings)} requests, median {percentile(timings, 0.5):.1f} ms, "
            f"p95 {p95:.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, "
            f"max {timings[-1] / 1e6:.1f} ms"
        )
    met = max(p95s) <= GOAL_P95_MS
    print(f"goal (p95 <= {GOAL_P95_MS:.0f} ms): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

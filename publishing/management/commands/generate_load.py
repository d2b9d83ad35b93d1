"""Fill the database with a large, realistic organisation for benchmarks (bench/pages_bench.py).

`manage.py generate_load --posts 100000 --accounts 200 --users 1000 [--seed 15]`

A tree of ministries, directions and services (one service per account), people with roles
in them (their permission rows derived as the services derive them), and posts in a
realistic mix of states: most published long ago, some scheduled, a few in review, drafts,
withdrawn, failed, retracted. Each post has its revision, its account, an approval when it
went past review, a publication when it went out, a frozen byline record; the audit chain
gets one event per post (``created``, or ``published`` for a published one), chained and
signed like every other (``editorial.workflow.audit_many``), so ``verify_audit`` still holds.

Fast: rows are written with ``bulk_create`` in batches (``load_rows``), no signal, no
per-row service call; it refuses to run unless DEBUG is on or
``--i-know-this-is-not-production`` is given: it writes thousands of fake people.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import permissions
from publishing.management import load_rows


class Command(BaseCommand):
    help = "Generate a large fake organisation and its posts (benchmarks only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--posts", type=int, default=100_000)
        parser.add_argument("--accounts", type=int, default=200)
        parser.add_argument("--users", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=15)
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Run although DEBUG is off (a throwaway database of a benchmark).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or options["not_production"]):
            raise CommandError(
                "generate_load writes thousands of fake people and posts: it runs only with "
                "DEBUG on, or with --i-know-this-is-not-production on a throwaway database."
            )
        if options["accounts"] < 1 or options["users"] < options["accounts"] * 2:
            raise CommandError("Give at least one account and two people per account.")
        rng = random.Random(options["seed"])  # noqa: S311 (fake data, repeatable by seed)
        started = time.perf_counter()

        def step(what: str, since: float) -> float:
            now = time.perf_counter()
            self.stdout.write(f"{what} in {now - since:.1f} s")
            return now

        with transaction.atomic():
            org = load_rows.organisation(rng, options["accounts"], options["users"])
            lap = step(f"{len(org.accounts)} accounts, {len(org.users)} people", started)
            permissions.sync_users(u.pk for u in org.users)
            lap = step("permission rows", lap)
        total = options["posts"]
        done = 0
        while done < total:
            size = min(load_rows.BATCH, total - done)
            with transaction.atomic():
                load_rows.posts(rng, org, size, offset=done)
            done += size
            lap = step(f"{done} posts", lap)
        step(f"generate_load done: {done} posts", started)

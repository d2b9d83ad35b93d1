"""Lateness of scheduled publishing, end to end, on loopback.

    .venv/bin/python -m bench.publish_lateness                    # 500 posts, 50 accounts, 60 s
    .venv/bin/python -m bench.publish_lateness --posts 60 --accounts 6 --window 15   # quick
    .venv/bin/python -m bench.publish_lateness --burst 20 --burst-network mastodon   # burst

Starts a throwaway PostgreSQL and Redis, the Bluesky PDS and the Mastodon peer, migrates,
creates an organisation, ``--accounts`` social accounts (half Bluesky, half Mastodon) and
``--posts`` posts through the real services (create, submit, approve), starts
``--workers`` Celery worker processes and one beat, then schedules every post at a random
moment (fixed seed) inside a ``--window``-second window and waits for them.

Lateness of a post = the moment the server acknowledged it (``Attempt.acknowledged_at``,
taken when ``adapter.publish`` returned) minus its scheduled time. Also shown: the start
lateness (the worker's claim minus the scheduled time), to tell queueing from sending.
Every remote post is counted back on the servers: each publication must exist exactly once.

``--burst N`` measures a same-second burst instead: N posts on ONE account, all scheduled at
the same instant, under the account's real concurrency limit (``--account-concurrency``,
default 2 as in production; the 500-post run opens it wide to measure the engine). Its
lateness is the time the account's queue takes to drain.

Everything it starts is stopped on exit (and tethered, so nothing outlives it if killed);
``--timeout`` bounds the whole run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench._common import (
    ROOT,
    approved_posts,
    connect_accounts,
    create_people,
    load_average,
    machine,
    percentiles,
    remote_counts,
    run_within,
    set_environment,
    start_celery,
    start_servers,
)
from bench._common import log as _log
from peers.mastodon import MastodonPeer
from peers.pds import BlueskyPeer
from peers.services import PostgresServer, RedisServer


@dataclass(frozen=True)
class Options:
    posts: int
    accounts: int
    window: float
    workers: int
    concurrency: int
    pool: str
    lookahead: float
    tick: float
    seed: int
    timeout: float
    keep_logs: bool
    burst: int
    burst_network: str
    account_concurrency: int | None


def _parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.publish_lateness", description=__doc__)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--window", type=float, default=60.0, help="seconds the posts span")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="per worker")
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads", "solo"])
    parser.add_argument("--lookahead", type=float, default=5.0, help="PUBLISH_LOOKAHEAD_SECONDS")
    parser.add_argument("--tick", type=float, default=1.0, help="PUBLISH_TICK_SECONDS")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=900.0, help="bound on the whole run")
    parser.add_argument("--keep-logs", action="store_true", help="print the worker logs' path")
    parser.add_argument(
        "--burst", type=int, default=0, help="N posts on one account at the same instant"
    )
    parser.add_argument("--burst-network", default="mastodon", choices=["mastodon", "bluesky"])
    parser.add_argument(
        "--account-concurrency",
        type=int,
        default=None,
        help="PUBLISH_ACCOUNT_CONCURRENCY (default: 2 with --burst, else opened wide)",
    )
    a = parser.parse_args(argv)
    if a.burst:
        a.posts, a.accounts, a.window = a.burst, 2, 0.0
        if a.account_concurrency is None:
            a.account_concurrency = 2
    if a.accounts < 2 or a.posts < 1:
        parser.error("at least 2 accounts (one per network) and 1 post")
    return Options(
        posts=a.posts,
        accounts=a.accounts,
        window=a.window,
        workers=a.workers,
        concurrency=a.concurrency,
        pool=a.pool,
        lookahead=a.lookahead,
        tick=a.tick,
        seed=a.seed,
        timeout=a.timeout,
        keep_logs=a.keep_logs,
        burst=a.burst,
        burst_network=a.burst_network,
        account_concurrency=a.account_concurrency,
    )


def _environment(postgres: PostgresServer, redis: RedisServer, data_dir: Path, o: Options) -> None:
    set_environment(postgres, redis, data_dir, lookahead=o.lookahead, tick=o.tick)
    if o.account_concurrency is not None:
        os.environ["PUBLISH_ACCOUNT_CONCURRENCY"] = str(o.account_concurrency)


def _setup(o: Options, bluesky: BlueskyPeer, mastodon: MastodonPeer) -> tuple[list[Any], Any]:
    """Organisation, accounts and approved posts, all through the services."""
    unit, officer, manager = create_people()
    accounts = connect_accounts(o.accounts, unit, bluesky, mastodon)
    texts = [
        f"Message programmé n° {n}: le guichet unique ouvre ses portes lundi."
        for n in range(o.posts)
    ]
    if o.burst:
        # Every post on the one account of the chosen network (accounts alternate networks).
        accounts = [a for a in accounts if a.network == o.burst_network][:1]
    return approved_posts(texts, accounts, officer, manager), manager


def _start_celery(o: Options, logs: Path, stack: contextlib.ExitStack) -> None:
    start_celery(workers=o.workers, pool=o.pool, concurrency=o.concurrency, logs=logs, stack=stack)


def _schedule(o: Options, posts: list[Any], manager: Any) -> datetime:
    from django.utils import timezone

    from editorial import services as editorial

    rng = random.Random(o.seed)
    offsets = sorted(rng.uniform(0, o.window) for _ in posts)
    # Scheduling takes a few milliseconds a post: start the window once it is surely done.
    t0 = timezone.now() + timedelta(seconds=3 + 0.03 * len(posts))
    for post, offset in zip(posts, offsets, strict=True):
        editorial.post_schedule(post=post, by=manager, at=t0 + timedelta(seconds=offset))
    slack = (t0 - timezone.now()).total_seconds()
    _log(f"{len(posts)} posts scheduled; the window opens in {slack:.1f} s")
    if slack < 0:
        raise RuntimeError("scheduling ran past the window's start: lateness would be skewed")
    return t0


def _wait(o: Options, t0: datetime) -> None:
    from django.utils import timezone

    from publishing.models import Publication, PublicationState

    finished = [PublicationState.PUBLISHED, PublicationState.FAILED]
    end = t0 + timedelta(seconds=o.window + 60)
    done = 0
    while timezone.now() < end:
        done = Publication.objects.filter(state__in=finished).count()
        if done == o.posts:
            return
        time.sleep(1)
    _log(f"gave up waiting: {done} of {o.posts} publications done")


def _results(o: Options, bluesky: BlueskyPeer, mastodon: MastodonPeer) -> dict[str, Any]:
    from publishing.models import Attempt, Publication, PublicationState

    publications = list(Publication.objects.select_related("account"))
    published = [p for p in publications if p.state == PublicationState.PUBLISHED]
    attempts = {
        a.publication_id: a
        for a in Attempt.objects.filter(outcome=Attempt.Outcome.PUBLISHED).order_by("number")
    }
    lateness: list[float] = []
    start: list[float] = []
    per_network: dict[str, list[float]] = {}
    early = 0
    for pub in published:
        attempt = attempts[pub.pk]
        assert attempt.acknowledged_at is not None
        late = (attempt.acknowledged_at - pub.due_at).total_seconds()
        lateness.append(late)
        start.append((attempt.started_at - pub.due_at).total_seconds())
        per_network.setdefault(pub.account.network, []).append(late)
        early += attempt.started_at < pub.due_at
    return {
        "posts": o.posts,
        "publications": len(publications),
        "published": len(published),
        "failed": sum(p.state == PublicationState.FAILED for p in publications),
        "retried": sum(p.attempts > 1 for p in publications),
        "sent_early": early,
        "remote_posts": remote_counts(bluesky, mastodon),
        "lateness_s": percentiles(lateness),
        "start_lateness_s": percentiles(start),
        "lateness_by_network_s": {k: percentiles(v) for k, v in per_network.items()},
        "load_average_after": load_average(),
    }


def run(o: Options) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="porte-voix-bench-"))
        if not o.keep_logs:
            stack.callback(lambda: subprocess.run(["rm", "-rf", str(tmp)], check=False))
        began = time.monotonic()
        postgres, redis, bluesky, mastodon = start_servers(stack)
        _log(f"servers up in {time.monotonic() - began:.1f} s")
        _environment(postgres, redis, tmp, o)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True, timeout=300
        )
        import django

        django.setup()
        from django.db import connection

        posts, manager = _setup(o, bluesky, mastodon)
        _start_celery(o, tmp, stack)
        load_before = load_average()
        t0 = _schedule(o, posts, manager)
        _wait(o, t0)
        results = _results(o, bluesky, mastodon)
        connection.close()
        if o.keep_logs:
            _log(f"logs kept in {tmp}")
        return {
            "machine": machine(),
            "options": o.__dict__,
            "load_average_before": load_before,
            **results,
        }
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    o = _parse(argv)

    results = run_within(o.timeout, lambda: run(o))
    print(json.dumps(results, indent=2, default=str))
    lat = results["lateness_s"]
    if lat:
        print(
            f"{results['published']}/{results['posts']} published; lateness "
            f"p50 {lat['p50']:.3f} s, p95 {lat['p95']:.3f} s, p99 {lat['p99']:.3f} s, "
            f"max {lat['max']:.3f} s",
            file=sys.stderr,
        )
    return 0 if results["published"] == results["posts"] else 1


if __name__ == "__main__":
    sys.exit(main())

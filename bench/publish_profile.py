"""Where one publication's time goes: the send path in-process, against the raw SDK call.

    .venv/bin/python -m bench.publish_profile                 # 100 posts, 10 accounts
    .venv/bin/python -m bench.publish_profile --posts 20 --accounts 2

Same servers and set-up as the throughput bench (``bench.publish_throughput``), but no
Celery worker: the posts are scheduled for now, ``publishing.services.tick`` starts and
queues them in this process (the broker messages stay in Redis, unread), then
``publications_send`` runs here on the same batches the tick handed out, one after the
other, under cProfile and with every SQL query counted. The same number of raw SDK calls
(the throughput bench's clients) run one after the other too. Wall and CPU time per post for
both, the queries per post, and the functions that take the most cumulative time are
printed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from bench._common import (
    ROOT,
    approved_posts,
    connect_accounts,
    create_people,
    log,
    machine,
    percentiles,
    set_environment,
    start_servers,
)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.publish_profile", description=__doc__)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--top", type=int, default=35, help="profile lines to print")
    return parser.parse_args(argv)


def _timed(calls: Sequence[Callable[[], None]]) -> dict[str, Any]:
    """Run each zero-argument callable in turn: wall and CPU seconds per call."""
    wall: list[float] = []
    cpu: list[float] = []
    for call in calls:
        w, c = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return {
        "calls": len(calls),
        "wall_s": percentiles(wall),
        "wall_s_mean": sum(wall) / len(wall),
        "cpu_s_mean": sum(cpu) / len(cpu),
    }


def run(a: argparse.Namespace) -> dict[str, Any]:
    from bench.publish_throughput import _raw_clients, _text

    with contextlib.ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="porte-voix-profile-"))
        stack.callback(lambda: subprocess.run(["rm", "-rf", str(tmp)], check=False))
        postgres, redis, bluesky, mastodon = start_servers(stack)
        set_environment(postgres, redis, tmp, lookahead=5.0, tick=1.0)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True, timeout=300
        )
        import django

        django.setup()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from editorial import services as editorial
        from publishing.models import Publication, PublicationState
        from publishing.services import publications_send, tick
        from publishing.services.broker import batches

        unit, officer, manager = create_people()
        accounts = connect_accounts(a.accounts, unit, bluesky, mastodon)
        posts = approved_posts(
            [_text("P", 0, n) for n in range(a.posts)], accounts, officer, manager
        )
        for post in posts:
            editorial.post_schedule(post=post, by=manager, at=None)
        while Publication.objects.filter(state=PublicationState.QUEUED).count() < a.posts:
            tick()
        # The batches the tick handed to the broker (same grouping), sent here one by one.
        queued = list(Publication.objects.select_related("account").order_by("created_at"))
        groups = [[p.pk for p in batch] for batch in batches(queued, timezone.now())]
        queries: list[float] = []
        profiler = cProfile.Profile()

        def send(batch: list[Any]) -> None:
            with CaptureQueriesContext(connection) as captured:
                profiler.runcall(publications_send, publication_ids=batch)
            queries.append(len(captured.captured_queries) / len(batch))

        pipeline = _timed([partial(send, batch) for batch in groups])
        # Per post, to compare with one raw call.
        pipeline["posts_per_batch"] = a.posts / len(groups)
        pipeline["wall_s_per_post"] = pipeline["wall_s_mean"] * len(groups) / a.posts
        pipeline["cpu_s_per_post"] = pipeline["cpu_s_mean"] * len(groups) / a.posts
        published = Publication.objects.filter(state=PublicationState.PUBLISHED).count()
        clients = _raw_clients(accounts, timeout=15.0)
        texts = [_text("R", 0, n) for n in range(a.posts)]

        def raw(n: int) -> None:
            c = clients[n % len(clients)]
            if c.network == "bluesky":
                c.client.send_post(texts[n], langs=["fr"], profile_identify=c.did)
            else:
                c.client.status_post(texts[n], language="fr", visibility="public")

        raw_figures = _timed([partial(raw, n) for n in range(a.posts)])
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(a.top)
        connection.close()
        return {
            "machine": machine(),
            "options": vars(a),
            "published": published,
            "pipeline_sequential": {**pipeline, "sql_queries_per_post": percentiles(queries)},
            "raw_sequential": raw_figures,
            "profile": out.getvalue(),
        }
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    results = run(_parse(argv))
    profile = results.pop("profile")
    print(json.dumps(results, indent=2, default=str))
    log("cProfile of publications_send, by cumulative time:\n" + profile)
    return 0 if results["published"] == results["options"]["posts"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Publishing throughput: the pipeline against a raw SDK loop, same servers, same run.

    .venv/bin/python -m bench.publish_throughput                        # 500 posts, 50 accounts
    .venv/bin/python -m bench.publish_throughput --posts 40 --accounts 4 --runs 1   # quick

The stack is the lateness bench's (``bench.publish_lateness``): a throwaway PostgreSQL and
Redis, the Bluesky PDS and the Mastodon peer, ``--accounts`` accounts (half Bluesky, half
Mastodon) connected through the services, ``--workers`` Celery worker processes and a beat.
Then, ``--runs`` times, on the same servers and accounts:

- pipeline: ``--posts`` approved posts (post n to account n modulo the accounts) all
  scheduled for one instant; throughput = posts / (last ``Attempt.acknowledged_at`` minus
  that instant). Queue, claim and acknowledgement times are read back from the database.
- raw: the same texts (another marker, so both can be counted back) sent straight with the
  SDKs, one client per account logged in beforehand and reused (Mastodon.py ``status_post``,
  atproto ``send_post``), by a pool of threads; throughput = posts / (last answer minus the
  loop's start). It runs once per ``--threads`` count (default: 8, and as many as the
  pipeline may have in flight, workers * concurrency * PUBLISH_BATCH_SIZE, since each task
  sends its batch on that many send threads); the fastest is the ratio's reference.

Runs alternate the order (pipeline first, then raw first...), so neither always meets the
servers' larger databases. Ratio = pipeline posts/s over raw posts/s (issue #5: ≥ 0.8). At
the end every text is counted back on the servers: each must be there exactly once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from bench._common import (
    ROOT,
    approved_posts,
    connect_accounts,
    cpu_snapshot,
    cpu_used,
    create_people,
    log,
    machine,
    percentiles,
    remote_texts,
    run_within,
    set_environment,
    start_celery,
    start_servers,
)
from peers.mastodon import MastodonPeer
from peers.pds import BlueskyPeer


@dataclass(frozen=True)
class Options:
    posts: int
    accounts: int
    runs: int
    workers: int
    concurrency: int
    pool: str
    threads: tuple[int, ...]
    batch_size: int
    lookahead: float
    tick: float
    conn_max_age: int | None
    timeout: float
    keep_logs: bool


def _parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.publish_throughput", description=__doc__)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="pipeline + raw rounds")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="per worker (each task sends on --batch-size threads)",
    )
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads", "solo"])
    parser.add_argument(
        "--threads",
        default="",
        help="raw loop thread counts, comma-separated; each is run and the fastest is the "
        "ratio's reference (default: 8 and the pipeline's sends in flight, workers * "
        "concurrency * --batch-size)",
    )
    parser.add_argument("--batch-size", type=int, default=8, help="PUBLISH_BATCH_SIZE")
    parser.add_argument("--lookahead", type=float, default=5.0, help="PUBLISH_LOOKAHEAD_SECONDS")
    parser.add_argument("--tick", type=float, default=1.0, help="PUBLISH_TICK_SECONDS")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="experiment: CONN_MAX_AGE for every process, through DATABASE_URL (default: the "
        "project's, 0: a new connection per task)",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="bound on the whole run")
    parser.add_argument("--keep-logs", action="store_true", help="print the worker logs' path")
    a = parser.parse_args(argv)
    if a.accounts < 2 or a.posts < 1 or a.runs < 1:
        parser.error("at least 2 accounts (one per network), 1 post and 1 run")
    return Options(
        posts=a.posts,
        accounts=a.accounts,
        runs=a.runs,
        workers=a.workers,
        concurrency=a.concurrency,
        pool=a.pool,
        threads=tuple(
            sorted(
                {int(t) for t in a.threads.split(",") if t.strip()}
                or {8, a.workers * a.concurrency * a.batch_size}
            )
        ),
        batch_size=a.batch_size,
        lookahead=a.lookahead,
        tick=a.tick,
        conn_max_age=a.conn_max_age,
        timeout=a.timeout,
        keep_logs=a.keep_logs,
    )


def _text(marker: str, run: int, n: int) -> str:
    # Same length for both markers; the marker tells the pipeline's posts from the raw ones.
    return f"[{marker}{run}] Message n° {n:03d}: le guichet unique ouvre ses portes lundi."


# --- the pipeline --------------------------------------------------------------------------


class _TaskLog:
    """Durations of the publish tasks (one per batch) as the workers log them ("succeeded in
    0.08s")."""

    PATTERN = re.compile(
        rb"publishing\.tasks\.publish(?:_batch)?\[[^\]]+\] succeeded in ([0-9.]+)s"
    )

    def __init__(self, logs: Path, workers: int) -> None:
        self.paths = [logs / f"worker{n}.log" for n in range(workers)]
        self.offsets = dict.fromkeys(self.paths, 0)

    def new_durations(self) -> list[float]:
        found: list[float] = []
        for path in self.paths:
            data = path.read_bytes()
            found += [float(m) for m in self.PATTERN.findall(data, self.offsets[path])]
            self.offsets[path] = len(data)
        return found


def _pipeline(o: Options, posts: list[Any], manager: Any, tasks: _TaskLog) -> dict[str, Any]:
    from django.utils import timezone

    from editorial import services as editorial
    from publishing.models import Publication, PublicationState

    tasks.new_durations()  # forget what earlier rounds logged
    # Scheduling takes a few milliseconds a post: the burst instant comes once it is done.
    t0 = timezone.now() + timedelta(seconds=3 + 0.03 * len(posts))
    for post in posts:
        editorial.post_schedule(post=post, by=manager, at=t0)
    if timezone.now() > t0:
        raise RuntimeError("scheduling ran past the burst instant")
    finished = [PublicationState.PUBLISHED, PublicationState.FAILED]
    ids = [p.pk for p in posts]
    end = t0 + timedelta(seconds=300)
    done = 0
    while timezone.now() < end:
        done = Publication.objects.filter(post_id__in=ids, state__in=finished).count()
        if done == len(posts):
            break
        time.sleep(0.5)
    else:
        log(f"gave up waiting: {done} of {len(posts)} publications done")
    time.sleep(1)  # let the workers log their last tasks
    return _pipeline_figures(t0, ids, tasks.new_durations())


def _pipeline_figures(t0: datetime, post_ids: list[int], durations: list[float]) -> dict[str, Any]:
    """Throughput from the burst instant, and where each publication spent its time."""
    from publishing.models import Attempt, Publication, PublicationState

    publications = list(Publication.objects.filter(post_id__in=post_ids).select_related("account"))
    attempts = {
        a.publication_id: a
        for a in Attempt.objects.filter(
            publication__post_id__in=post_ids, outcome=Attempt.Outcome.PUBLISHED
        )
    }

    def since(moment: datetime | None) -> float:
        assert moment is not None
        return (moment - t0).total_seconds()

    acks: dict[str, list[float]] = {}
    stages: dict[str, list[float]] = {
        "started_by_tick": [],  # publication row created (post started) by a tick
        "queued": [],  # handed to the broker
        "claimed": [],  # a worker's claim, i.e. the attempt's start
        "acknowledged": [],  # the server's answer
        "recorded": [],  # the attempt row written
    }
    send: list[float] = []
    record: list[float] = []
    for pub in publications:
        if pub.state != PublicationState.PUBLISHED:
            continue
        attempt = attempts[pub.pk]
        acks.setdefault(pub.account.network, []).append(since(attempt.acknowledged_at))
        stages["started_by_tick"].append(since(pub.created_at))
        stages["queued"].append(since(pub.queued_at))
        stages["claimed"].append(since(attempt.started_at))
        stages["acknowledged"].append(since(attempt.acknowledged_at))
        stages["recorded"].append(since(attempt.finished_at))
        assert attempt.acknowledged_at is not None
        send.append((attempt.acknowledged_at - attempt.started_at).total_seconds())
        record.append((attempt.finished_at - attempt.acknowledged_at).total_seconds())
    published = sum(len(v) for v in acks.values())
    span = max((max(v) for v in acks.values()), default=0.0)
    return {
        "published": published,
        "failed": sum(p.state == PublicationState.FAILED for p in publications),
        "retried": sum(p.attempts > 1 for p in publications),
        "span_s": span,
        "posts_per_s": published / span if span > 0 else 0.0,
        "by_network": {k: _rate(v) for k, v in sorted(acks.items())},
        "stages_since_burst_s": {k: percentiles(v) for k, v in stages.items()},
        "send_s": percentiles(send),  # claim → acknowledgement (prepare + payload + HTTP)
        "record_s": percentiles(record),  # acknowledgement → attempt row
        "task_s": percentiles(durations),  # whole task as the worker logs it
        "task_s_total": sum(durations),
    }


def _rate(acks: list[float]) -> dict[str, float]:
    span = max(acks)
    return {"posts": len(acks), "span_s": span, "posts_per_s": len(acks) / span}


# --- the raw SDK loop ----------------------------------------------------------------------


@dataclass(frozen=True)
class _RawClient:
    network: str
    client: Any
    did: str = ""


def _raw_clients(accounts: list[Any], timeout: float) -> list[_RawClient]:
    """One logged-in client per account, made before anything is timed, reused for all."""
    from atproto_client import Client, Session  # type: ignore[import-untyped]
    from atproto_client.request import Request  # type: ignore[import-untyped]
    from mastodon import Mastodon

    from accounts.models import SocialAccount

    clients = []
    for account in accounts:
        secret = str(account.get_credentials()["secret"])
        if account.network == SocialAccount.Network.BLUESKY:
            bsky = Client(base_url=account.server_url, request=Request(timeout=timeout))
            bsky.login(account.handle, secret, fetch_bsky_profile=False)
            did = str(Session.decode(bsky.export_session_string()).did)
            clients.append(_RawClient("bluesky", bsky, did))
        else:
            api = Mastodon(
                access_token=secret,
                api_base_url=account.server_url,
                ratelimit_method="throw",
                request_timeout=timeout,
                version_check_mode="none",
            )
            clients.append(_RawClient("mastodon", api))
    return clients


def _raw(threads: int, texts: list[str], clients: list[_RawClient]) -> dict[str, Any]:
    def send(n: int) -> tuple[str, float, float]:
        c = clients[n % len(clients)]
        begun = time.perf_counter()
        if c.network == "bluesky":
            c.client.send_post(texts[n], langs=["fr"], profile_identify=c.did)
        else:
            c.client.status_post(texts[n], language="fr", visibility="public")
        done = time.perf_counter()
        return c.network, done - start, done - begun

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(pool.map(send, range(len(texts))))
    acks: dict[str, list[float]] = {}
    latency: dict[str, list[float]] = {}
    for network, ack, took in answers:
        acks.setdefault(network, []).append(ack)
        latency.setdefault(network, []).append(took)
    span = max(a for _, a, _ in answers)
    return {
        "published": len(answers),
        "threads": threads,
        "span_s": span,
        "posts_per_s": len(answers) / span,
        "by_network": {k: _rate(v) for k, v in sorted(acks.items())},
        "send_s_by_network": {k: percentiles(v) for k, v in sorted(latency.items())},
    }


# --- the run -------------------------------------------------------------------------------


def _raw_texts(marker: str, number: int, count: int, accounts: list[Any]) -> list[str]:
    """The texts the pipeline sends (with each account's byline), under the raw marker.

    The bylines come from the publications already made (run 1 starts with the pipeline).
    """
    from charter.snapshot import with_byline
    from publishing.models import Publication

    bylines = dict(Publication.objects.order_by("created_at").values_list("account_id", "byline"))
    return [
        with_byline(_text(marker, number, n), bylines.get(accounts[n % len(accounts)].pk, ""))
        for n in range(count)
    ]


def _round(
    o: Options,
    *,
    number: int,
    people: tuple[Any, Any, Any],
    accounts: list[Any],
    clients: list[_RawClient],
    tasks: _TaskLog,
) -> dict[str, Any]:
    _, officer, manager = people
    pipeline_texts = [_text("P", number, n) for n in range(o.posts)]
    posts = approved_posts(pipeline_texts, accounts, officer, manager)
    order = ["pipeline", "raw"] if number % 2 else ["raw", "pipeline"]
    result: dict[str, Any] = {"run": number, "order": order}
    expected: list[tuple[str, list[str]]] = [("pipeline", pipeline_texts)]
    for what in order:
        time.sleep(3)  # let the previous phase's stragglers (logs, idle ticks) settle
        result[f"load_before_{what}"] = os.getloadavg()
        cpu_before = cpu_snapshot()
        if what == "pipeline":
            result["pipeline"] = _pipeline(o, posts, manager, tasks)
        else:
            # One raw loop per thread count (one marker letter each: R, S, T...), the
            # fastest being the reference: the SDK at its best against these servers.
            raws = []
            for i, threads in enumerate(o.threads):
                if i:
                    time.sleep(3)
                    cpu_before = cpu_snapshot()
                texts = _raw_texts(chr(ord("R") + i), number, o.posts, accounts)
                raw = _raw(threads, texts, clients)
                raw["cpu_s"] = cpu_used(cpu_before, cpu_snapshot())
                expected.append(("raw", texts))
                raws.append(raw)
                log(f"run {number} raw, {threads} threads: {raw['posts_per_s']:.1f} posts/s")
            result["raw_by_threads"] = {str(r["threads"]): r for r in raws}
            result["raw"] = max(raws, key=lambda r: r["posts_per_s"])
            continue
        # The pipeline's share includes scheduling the posts (in the bench process).
        result[what]["cpu_s"] = cpu_used(cpu_before, cpu_snapshot())
        log(f"run {number} {what}: {result[what]['posts_per_s']:.1f} posts/s")
    pipe, raw = result["pipeline"], result["raw"]
    result["ratio"] = pipe["posts_per_s"] / raw["posts_per_s"]
    result["ratio_by_network"] = {
        k: pipe["by_network"][k]["posts_per_s"] / raw["by_network"][k]["posts_per_s"]
        for k in pipe["by_network"]
        if k in raw["by_network"]
    }
    result["expected"] = expected
    return result


def _verify(
    rounds: list[dict[str, Any]], bluesky: BlueskyPeer, mastodon: MastodonPeer, accounts: int
) -> dict[str, Any]:
    """Every text of every round exactly once on its network, and nothing else."""
    from publishing.adapters.mastodon import text_fingerprint
    from publishing.models import Publication

    # The pipeline sends the publication's text (with its byline, if any): compare that.
    sent = dict(Publication.objects.values_list("post__current_revision__text", "text"))
    expected: dict[str, Counter[str]] = {"bluesky": Counter(), "mastodon": Counter()}
    for r in rounds:
        for kind, batch in r.pop("expected"):
            for n, text in enumerate(batch):
                network = "bluesky" if (n % accounts) % 2 == 0 else "mastodon"
                expected[network][sent.get(text, text) if kind == "pipeline" else text] += 1
    found = remote_texts(bluesky, mastodon)
    # Mastodon shows HTML back (paragraphs for the byline's blank line): compare its words.
    expected["mastodon"] = Counter(
        {text_fingerprint(k): v for k, v in expected["mastodon"].items()}
    )
    found["mastodon"] = Counter({text_fingerprint(k): v for k, v in found["mastodon"].items()})
    report: dict[str, Any] = {}
    for network, wanted in expected.items():
        missing = wanted - found[network]
        extra = found[network] - wanted
        report[network] = {
            "expected": sum(wanted.values()),
            "found": sum(found[network].values()),
            "duplicates": sum(c - 1 for c in found[network].values() if c > 1),
            "missing": sum(missing.values()),
            "unexpected": sum(extra.values()),
        }
    report["exactly_once"] = all(
        v["expected"] == v["found"] and not (v["missing"] or v["unexpected"] or v["duplicates"])
        for v in report.values()
        if isinstance(v, dict)
    )
    return report


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def spread(values: list[float]) -> dict[str, float]:
        return {"min": min(values), "median": median(values), "max": max(values)}

    networks = sorted({k for r in rounds for k in r["ratio_by_network"]})
    return {
        "pipeline_posts_per_s": spread([r["pipeline"]["posts_per_s"] for r in rounds]),
        "raw_posts_per_s": spread([r["raw"]["posts_per_s"] for r in rounds]),
        "ratio": spread([r["ratio"] for r in rounds]),
        "ratio_by_network": {
            k: spread([r["ratio_by_network"][k] for r in rounds if k in r["ratio_by_network"]])
            for k in networks
        },
    }


def run(o: Options) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="porte-voix-bench-"))
        if not o.keep_logs:
            stack.callback(lambda: subprocess.run(["rm", "-rf", str(tmp)], check=False))
        load_at_start = os.getloadavg()
        began = time.monotonic()
        postgres, redis, bluesky, mastodon = start_servers(stack)
        log(f"servers up in {time.monotonic() - began:.1f} s")
        set_environment(postgres, redis, tmp, lookahead=o.lookahead, tick=o.tick)
        os.environ["PUBLISH_BATCH_SIZE"] = str(o.batch_size)
        if o.conn_max_age is not None:
            os.environ["DATABASE_URL"] = f"{postgres.url}?conn_max_age={o.conn_max_age}"
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True, timeout=300
        )
        import django

        django.setup()
        from django.db import connection

        people = create_people()
        accounts = connect_accounts(o.accounts, people[0], bluesky, mastodon)
        clients = _raw_clients(accounts, timeout=15.0)
        start_celery(
            workers=o.workers, pool=o.pool, concurrency=o.concurrency, logs=tmp, stack=stack
        )
        tasks = _TaskLog(tmp, o.workers)
        rounds = [
            _round(o, number=n, people=people, accounts=accounts, clients=clients, tasks=tasks)
            for n in range(1, o.runs + 1)
        ]
        remote = _verify(rounds, bluesky, mastodon, o.accounts)
        connection.close()
        if o.keep_logs:
            log(f"logs kept in {tmp}")
        return {
            "machine": {**machine(), "load_average_at_start": load_at_start},
            "options": o.__dict__,
            "summary": _summary(rounds),
            "remote": remote,
            "runs": rounds,
        }
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    o = _parse(argv)

    results = run_within(o.timeout, lambda: run(o))
    print(json.dumps(results, indent=2, default=str))
    for r in results["runs"]:
        by_net = ", ".join(f"{k} {v:.2f}" for k, v in r["ratio_by_network"].items())
        log(
            f"run {r['run']}: pipeline {r['pipeline']['posts_per_s']:.1f} posts/s, raw "
            f"{r['raw']['posts_per_s']:.1f} posts/s ({r['raw']['threads']} threads), "
            f"ratio {r['ratio']:.2f} ({by_net})"
        )
    complete = all(r["pipeline"]["published"] == o.posts for r in results["runs"])
    return 0 if complete and results["remote"]["exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())

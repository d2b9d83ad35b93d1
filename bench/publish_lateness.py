"""Lateness of scheduled publishing, end to end, on loopback.

    .venv/bin/python -m bench.publish_lateness                    # 500 posts, 50 accounts, 60 s
    .venv/bin/python -m bench.publish_lateness --posts 60 --accounts 6 --window 15   # quick

Starts a throwaway PostgreSQL and Redis, the Bluesky PDS and the Mastodon peer, migrates,
creates an organisation, ``--accounts`` social accounts (half Bluesky, half Mastodon) and
``--posts`` posts through the real services (create, submit, approve), starts
``--workers`` Celery worker processes and one beat, then schedules every post at a random
moment (fixed seed) inside a ``--window``-second window and waits for them.

Lateness of a post = the moment the server acknowledged it (``Attempt.acknowledged_at``,
taken when ``adapter.publish`` returned) minus its scheduled time. Also shown: the start
lateness (the worker's claim minus the scheduled time), to tell queueing from sending.
Every remote post is counted back on the servers: each publication must exist exactly once.

Everything it starts is stopped on exit (and tethered, so nothing outlives it if killed);
``--timeout`` bounds the whole run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.peers import TetheredProcess  # noqa: E402
from tests.peers.mastodon import MastodonPeer  # noqa: E402
from tests.peers.pds import BlueskyPeer  # noqa: E402
from tests.peers.services import PostgresServer, RedisServer  # noqa: E402


class Timeout(Exception):
    pass


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
    a = parser.parse_args(argv)
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
    )


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def _start_servers(stack: contextlib.ExitStack) -> tuple[PostgresServer, RedisServer, Any, Any]:
    postgres, redis = PostgresServer(database="porte_voix_bench"), RedisServer()
    bluesky, mastodon = BlueskyPeer(), MastodonPeer()
    for server in (postgres, redis, bluesky, mastodon):
        stack.callback(server.stop)
    errors: list[BaseException] = []

    def start(server: Any) -> None:
        try:
            server.start()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in (postgres, redis, bluesky)]
    for thread in threads:
        thread.start()
    mastodon.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return postgres, redis, bluesky, mastodon


def _environment(postgres: PostgresServer, redis: RedisServer, data_dir: Path, o: Options) -> None:
    from cryptography.fernet import Fernet

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FERNET_KEYS": Fernet.generate_key().decode(),
            "PUBLISH_ALLOW_HTTP": "true",
            "PUBLISH_LOOKAHEAD_SECONDS": str(o.lookahead),
            "PUBLISH_TICK_SECONDS": str(o.tick),
            "LOG_LEVEL": "WARNING",
        }
    )


def _setup(o: Options, bluesky: BlueskyPeer, mastodon: MastodonPeer) -> tuple[list[Any], Any]:
    """Organisation, accounts and approved posts, all through the services."""
    from accounts.models import Membership, OrgUnit, SocialAccount, User
    from accounts.services import membership_create, social_account_create
    from editorial import services as editorial
    from publishing.services import account_check_connection

    unit = OrgUnit.objects.create(
        name="Service communication", code="sicom", kind=OrgUnit.Kind.SERVICE
    )
    officer = User.objects.create_user("officer", first_name="Jeanne", last_name="Dupont")
    manager = User.objects.create_user("manager", first_name="Marc", last_name="Leroy")
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=unit, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=unit, role=Membership.Role.PUBLISHER)

    accounts = []
    for n in range(o.accounts):
        if n % 2 == 0:
            bsky = bluesky.create_account(f"bench{n}")
            account = social_account_create(
                network=SocialAccount.Network.BLUESKY,
                server_url=bluesky.url,
                handle=bsky.handle,
                unit=unit,
                credentials={"secret": bsky.app_password},
            )
        else:
            account = social_account_create(
                network=SocialAccount.Network.MASTODON,
                server_url=mastodon.url,
                handle=f"bench{n}",
                unit=unit,
                credentials={"secret": mastodon.create_token(f"bench{n}")},
            )
        # What an administrator does when connecting an account; it also stores the first
        # Bluesky session, as a production account has long before its posts fall due.
        account_check_connection(account_id=account.pk)
        accounts.append(account)
    _log(f"{len(accounts)} accounts connected")

    posts = []
    started = time.monotonic()
    for n in range(o.posts):
        post = editorial.post_create(
            by=officer,
            accounts=[accounts[n % len(accounts)]],
            text=f"Message programmé n° {n}: le guichet unique ouvre ses portes lundi.",
            language="fr",
        )
        editorial.post_submit(post=post, by=officer)
        editorial.post_approve(post=post, by=manager)
        posts.append(post)
    _log(f"{len(posts)} posts approved in {time.monotonic() - started:.1f} s")
    return posts, manager


def _start_celery(o: Options, logs: Path, stack: contextlib.ExitStack) -> None:
    env = dict(os.environ)
    procs: list[tuple[TetheredProcess, Path, bytes]] = []
    for n in range(o.workers):
        log = logs / f"worker{n}.log"
        argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"bench{n}@%h"]
        argv += ["--pool", o.pool, "--concurrency", str(o.concurrency), "-l", "info"]
        procs.append((TetheredProcess(argv, log_path=log, env=env, cwd=ROOT), log, b"ready."))
    beat_log = logs / "beat.log"
    beat_argv = [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info"]
    beat_argv += ["-s", str(logs / "celerybeat-schedule")]
    procs.append((TetheredProcess(beat_argv, log_path=beat_log, env=env, cwd=ROOT), beat_log, b""))
    for proc, _, _ in procs:
        stack.callback(proc.stop)
        proc.start()
    deadline = time.monotonic() + 120
    for proc, log, marker in procs:
        while marker and not (log.exists() and marker in log.read_bytes()):
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{log.name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
    _log(f"{o.workers} workers ({o.pool}, concurrency {o.concurrency}) and beat running")


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


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def rank(q: float) -> float:  # nearest rank
        return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]

    return {
        "p50": rank(0.50),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": ordered[-1],
        "min": ordered[0],
    }


def _remote_counts(bluesky: BlueskyPeer, mastodon: MastodonPeer) -> dict[str, int]:
    """Posts actually on the servers, per network (duplicates would show here)."""
    import httpx
    from mastodon import Mastodon

    from accounts.models import SocialAccount

    counts = {"bluesky": 0, "mastodon": 0}
    for account in SocialAccount.objects.all():
        if account.network == SocialAccount.Network.BLUESKY:
            cursor = None
            while True:
                params: dict[str, Any] = {
                    "repo": account.handle,
                    "collection": "app.bsky.feed.post",
                    "limit": 100,
                }
                if cursor:
                    params["cursor"] = cursor
                page = httpx.get(
                    f"{bluesky.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=30
                ).json()
                counts["bluesky"] += len(page["records"])
                cursor = page.get("cursor")
                if not cursor or not page["records"]:
                    break
        else:
            api = Mastodon(
                access_token=str(account.get_credentials()["secret"]),
                api_base_url=mastodon.url,
                request_timeout=30,
            )
            me = api.account_verify_credentials()
            statuses = api.fetch_remaining(api.account_statuses(me["id"], limit=40))
            counts["mastodon"] += len(statuses)
    return counts


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
        "remote_posts": _remote_counts(bluesky, mastodon),
        "lateness_s": _percentiles(lateness),
        "start_lateness_s": _percentiles(start),
        "lateness_by_network_s": {k: _percentiles(v) for k, v in per_network.items()},
    }


def _machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def run(o: Options) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="porte-voix-bench-"))
        if not o.keep_logs:
            stack.callback(lambda: subprocess.run(["rm", "-rf", str(tmp)], check=False))
        began = time.monotonic()
        postgres, redis, bluesky, mastodon = _start_servers(stack)
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
        t0 = _schedule(o, posts, manager)
        _wait(o, t0)
        results = _results(o, bluesky, mastodon)
        connection.close()
        if o.keep_logs:
            _log(f"logs kept in {tmp}")
        return {"machine": _machine(), "options": o.__dict__, **results}
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    o = _parse(argv)

    def expire(signum: int, frame: Any) -> None:
        raise Timeout(f"the run took more than {o.timeout:g} s")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, o.timeout)
    try:
        results = run(o)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
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

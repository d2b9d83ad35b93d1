"""Soak of the demo's processes: a post every few seconds for N minutes, none lost, none twice.

    .venv/bin/python -m bench.demo_soak                              # 30 minutes, a post / 5 s
    .venv/bin/python -m bench.demo_soak --minutes 1 --every 3        # quick
    .venv/bin/python -m bench.demo_soak --minutes 10 --kill-every 120  # with faults

Runs what `make run` runs, the way it runs it (deploy/run_demo.py's own functions): the
embedded Valkey broker on its socket in a fresh DATA_DIR, one Celery worker (threads, 2) and
beat, all under deploy/supervise.py's supervisor, the SQLite database, the Mastodon peer and
the Bluesky PDS. REDIS_URL, CELERY_BROKER_URL and DATABASE_URL are removed from the
environment: the demo's defaults are what is measured (the filesystem:// broker this replaces
lost a message and killed the worker ten minutes into a demo).

Every ``--every`` seconds the bench writes, submits, approves and schedules one post to two
accounts, due ``--lead`` seconds later: the Bluesky account and one of ``--mastodon-accounts``
Mastodon accounts in turn. One Mastodon account would not do: its rate budget
(PUBLISH_RATE_MASTODON, 250 per 3 hours, under Mastodon's 300) rightly holds the 251st post of
a 30-minute run at a post every 5 s (the first 30-minute run was held there, 21 minutes in). With
``--kill-every``, every that many seconds it SIGKILLs the worker, then the broker, in turn:
the supervisor must bring them back and the queued messages must survive (the broker's
append-only file). The message a killed worker held stays unacknowledged (redelivered after
the visibility timeout, a no-op then): the tick re-queues its publication from the database
after PUBLISH_QUEUE_STALE_SECONDS (120 s), and backlog pacing then spaces such late
publications 30 s apart per account, so these posts are minutes late, but out once.

Checks at the end (after waiting for the last post to be done):
- every publication published, and each post's text found exactly once on each server
  (counted on the peers themselves: Mastodon's account statuses, the PDS's listRecords);
- no message lost or left behind: the broker's queues and its unacknowledged set are empty;
- the supervisor's log: every exit of a child with its code; the worker's log is searched for
  "Unrecoverable error".
Figures: lateness (acknowledged by the server minus the due time) p50/p95/max, RSS of the
worker, beat and broker (max and last, sampled), the load average.

Prints one JSON report on stdout; the exit code is 0 only when every check passed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench._common import (
    ROOT,
    create_people,
    load_average,
    log,
    machine,
    percentiles,
    remote_texts,
)
from config import demo
from deploy import run_demo
from deploy.supervise import Supervisor
from peers.mastodon import MastodonPeer
from peers.pds import BlueskyPeer

MB = 1024.0  # /proc reports kB
QUEUES = ("celery", "publish.mastodon", "publish.bluesky")


@dataclass(frozen=True)
class Options:
    minutes: float
    every: float
    lead: float
    kill_every: float
    drain: float
    mastodon_accounts: int
    keep_logs: bool


def _parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.demo_soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long posts are made")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between two posts")
    parser.add_argument("--lead", type=float, default=3.0, help="seconds from scheduled to due")
    parser.add_argument(
        "--kill-every", type=float, default=0.0, help="SIGKILL worker/broker in turn (0: never)"
    )
    parser.add_argument("--drain", type=float, default=400.0, help="max wait for the last post")
    parser.add_argument(
        "--mastodon-accounts",
        type=int,
        default=2,
        help="Mastodon accounts taking the posts in turn (each may post 250 per 3 hours)",
    )
    parser.add_argument("--keep-logs", action="store_true")
    a = parser.parse_args(argv)
    return Options(
        minutes=a.minutes,
        every=a.every,
        lead=a.lead,
        kill_every=a.kill_every,
        drain=a.drain,
        mastodon_accounts=a.mastodon_accounts,
        keep_logs=a.keep_logs,
    )


def _environment(data_dir: Path) -> dict[str, str]:
    """The demo's environment: its defaults, in a fresh DATA_DIR."""
    from cryptography.fernet import Fernet

    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FERNET_KEYS": Fernet.generate_key().decode(),
            "PUBLISH_ALLOW_HTTP": "true",
            "LOG_LEVEL": "WARNING",
        }
    )
    return dict(os.environ)


def _rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / MB
    except OSError:
        return None
    return None


class _Sampler(threading.Thread):
    """RSS of each supervised child every ``interval`` seconds (whatever its current pid)."""

    def __init__(self, sup: Supervisor, interval: float) -> None:
        super().__init__(daemon=True)
        self.sup, self.interval = sup, interval
        self.samples: dict[str, list[float]] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            for child in self.sup.children:
                rss = _rss_mb(child.pid) if child.running() else None
                if rss is not None:
                    self.samples.setdefault(child.name, []).append(round(rss, 1))

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            name: {"first": v[0], "max": max(v), "last": v[-1], "samples": len(v)}
            for name, v in self.samples.items()
        }


def _connect(
    unit: Any, bluesky: BlueskyPeer, mastodon: MastodonPeer, *, mastodon_accounts: int
) -> tuple[Any, list[Any]]:
    """One Bluesky account and ``mastodon_accounts`` Mastodon ones, connected as an
    administrator does (which also stores the Bluesky session)."""
    from accounts.models import SocialAccount
    from accounts.services import social_account_create
    from publishing.services import account_check_connection

    bsky = bluesky.create_account("soak")
    sky = social_account_create(
        network=SocialAccount.Network.BLUESKY,
        server_url=bluesky.url,
        handle=bsky.handle,
        unit=unit,
        credentials={"secret": bsky.app_password},
    )
    toots = [
        social_account_create(
            network=SocialAccount.Network.MASTODON,
            server_url=mastodon.url,
            handle=f"soak{n}",
            unit=unit,
            credentials={"secret": mastodon.create_token(f"soak{n}")},
        )
        for n in range(mastodon_accounts)
    ]
    for account in (sky, *toots):
        account_check_connection(account_id=account.pk)
    return sky, toots


def _post(
    n: int, run_id: str, accounts: list[Any], *, officer: Any, manager: Any, lead: float
) -> str:
    from django.utils import timezone

    from editorial import services as editorial

    text = f"Soak {run_id} n°{n} : point d'étape du service communication."
    post = editorial.post_create(by=officer, accounts=accounts, text=text, language="fr")
    editorial.post_submit(post=post, by=officer)
    editorial.post_approve(post=post, by=manager)
    editorial.post_schedule(post=post, by=manager, at=timezone.now() + timedelta(seconds=lead))
    return text


def _kill_next(sup: Supervisor, turn: int) -> str:
    name = ("worker", "broker")[turn % 2]
    pid = sup.child(name).pid
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    log(f"killed {name} (pid {pid})")
    return name


def _wait_done(expected: int, drain: float) -> int:
    from publishing.models import Publication, PublicationState

    finished = [PublicationState.PUBLISHED, PublicationState.FAILED]
    deadline = time.monotonic() + drain
    done = 0
    while time.monotonic() < deadline:
        done = Publication.objects.filter(state__in=finished).count()
        if done >= expected:
            break
        time.sleep(1)
    return done


def _broker_left(data_dir: Path) -> dict[str, int]:
    import redis

    client = redis.Redis(unix_socket_path=str(demo.socket_path(data_dir)), socket_timeout=10)
    try:
        left = {q: int(client.llen(q)) for q in QUEUES}
        left["unacked"] = int(client.hlen("unacked"))
        return left
    finally:
        client.close()


def _publications() -> dict[str, Any]:
    from publishing.models import Attempt, Publication, PublicationState

    pubs = list(Publication.objects.select_related("account"))
    acked = {
        a.publication_id: a.acknowledged_at
        for a in Attempt.objects.filter(outcome=Attempt.Outcome.PUBLISHED)
        if a.acknowledged_at is not None
    }
    lateness = [
        (acked[p.pk] - p.due_at).total_seconds()
        for p in pubs
        if p.state == PublicationState.PUBLISHED and p.pk in acked
    ]
    return {
        "publications": len(pubs),
        "published": sum(p.state == PublicationState.PUBLISHED for p in pubs),
        "failed": sum(p.state == PublicationState.FAILED for p in pubs),
        "retried": sum(p.attempts > 1 for p in pubs),
        "lateness_s": {k: round(v, 3) for k, v in percentiles(lateness).items()},
    }


def _remote(texts: list[str], bluesky: BlueskyPeer, mastodon: MastodonPeer) -> dict[str, Any]:
    found = remote_texts(bluesky, mastodon)
    report: dict[str, Any] = {}
    for network, counter in found.items():
        # A published text is the post's text and its byline: matched on the post's text.
        copies = [sum(c for t, c in counter.items() if t.startswith(text)) for text in texts]
        report[network] = {
            "found": sum(copies),
            "missing": sum(c == 0 for c in copies),
            "duplicated": sum(c > 1 for c in copies),
        }
    report["exactly_once"] = all(
        v["missing"] == 0 and v["duplicated"] == 0 and v["found"] == len(texts)
        for k, v in report.items()
        if k != "exactly_once"
    )
    return report


def _unrecoverable(logs: Path) -> int:
    path = logs / "worker.log"
    return path.read_text(errors="replace").count("Unrecoverable error") if path.exists() else 0


def run(o: Options) -> dict[str, Any]:  # noqa: PLR0915 (one linear scenario)
    with contextlib.ExitStack() as stack:
        # Short: the broker's socket path must fit in a unix socket address.
        data_dir = Path(tempfile.mkdtemp(prefix="pv-soak-")).resolve()
        if not o.keep_logs:
            stack.callback(lambda: subprocess.run(["rm", "-rf", str(data_dir)], check=False))
        env = _environment(data_dir)
        lines: list[str] = []

        def sup_log(line: str) -> None:
            lines.append(f"{time.strftime('%H:%M:%S', time.gmtime())} {line}")
            log(line)

        sup = Supervisor(log=sup_log)
        stack.callback(sup.stop)
        run_demo.start_broker(sup, data_dir)
        bluesky, mastodon = BlueskyPeer(), MastodonPeer()
        stack.callback(bluesky.stop)
        stack.callback(mastodon.stop)
        mastodon.start()
        bluesky.start()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True, timeout=600
        )
        import django

        django.setup()
        unit, officer, manager = create_people()
        sky, toots = _connect(unit, bluesky, mastodon, mastodon_accounts=o.mastodon_accounts)
        for name, argv in run_demo.celery_commands().items():
            sup.add(name, argv, env=env, cwd=ROOT, log_path=data_dir / f"{name}.log")
        stop = threading.Event()
        supervising = threading.Thread(target=sup.run_until, args=(stop,), daemon=True)
        supervising.start()
        stack.callback(stop.set)
        sampler = _Sampler(sup, interval=5.0)
        sampler.start()
        stack.callback(sampler.done.set)
        log(f"demo processes up in {data_dir}; posting every {o.every:g} s for {o.minutes:g} min")

        run_id = secrets.token_hex(3)
        texts: list[str] = []
        killed: list[str] = []
        load_before = load_average()
        began = time.monotonic()
        end = began + o.minutes * 60
        next_kill = began + o.kill_every if o.kill_every else float("inf")
        while time.monotonic() < end:
            texts.append(
                _post(
                    len(texts),
                    run_id,
                    [sky, toots[len(texts) % len(toots)]],
                    officer=officer,
                    manager=manager,
                    lead=o.lead,
                )
            )
            if time.monotonic() >= next_kill:
                killed.append(_kill_next(sup, len(killed)))
                next_kill += o.kill_every
            time.sleep(max(0.0, began + len(texts) * o.every - time.monotonic()))
        log(f"{len(texts)} posts scheduled; waiting for the last ones")
        expected = len(texts) * 2
        _wait_done(expected, o.drain)
        # Beat stops sending ticks; then the queues must drain to nothing (a tick in flight or
        # the last acknowledgement may take a moment).
        sup.stop_child("beat")
        left = _broker_left(data_dir)
        drained_by = time.monotonic() + 30
        while any(left.values()) and time.monotonic() < drained_by:
            time.sleep(0.5)
            left = _broker_left(data_dir)
        publications = _publications()
        remote = _remote(texts, bluesky, mastodon)
        sampler.done.set()
        report = {
            "machine": machine(),
            "options": asdict(o),
            "minutes_run": round((time.monotonic() - began) / 60, 2),
            "posts": len(texts),
            **publications,
            "expected_publications": expected,
            "remote": remote,
            "broker_left": left,
            "killed": killed,
            "exits": [asdict(r) | {"at": round(r.at - began, 1)} for r in sup.restarts],
            # Exits of a child that the bench did not cause (a crash, or a worker that gave up
            # when its broker was killed: then the supervisor's restart is what kept it going).
            "unexpected_exits": len(sup.restarts) - len(killed),
            "supervisor_log": lines,
            "unrecoverable_errors_in_worker_log": _unrecoverable(data_dir),
            "rss_mb": sampler.summary(),
            "load_average_before": load_before,
            "load_average_after": load_average(),
        }
        report["passed"] = (
            publications["published"] == expected
            and remote["exactly_once"]
            and not any(n for q, n in left.items() if q != "unacked")
            # A killed worker's message stays unacknowledged until the visibility timeout
            # (then redelivered; the outbox makes it a no-op): counted, not lost.
            and (o.kill_every > 0 or left["unacked"] == 0)
            # A worker whose broker is killed under it exits "Unrecoverable error" (kombu's
            # redis transport, closing its channel); the supervisor restarts it. Without
            # kills there must be none (the filesystem:// race showed as one).
            and (o.kill_every > 0 or report["unrecoverable_errors_in_worker_log"] == 0)
            and all(r.restarted for r in sup.restarts)
            and (o.kill_every > 0 or not sup.restarts)
        )
        if o.keep_logs:
            log(f"logs kept in {data_dir}")
        return report
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    o = _parse(argv)
    report = run(o)
    print(json.dumps(report, indent=2, default=str))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

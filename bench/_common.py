"""What the publishing benchmarks share: the servers, the environment, the organisation and
its accounts, the Celery processes, and counting posts back on the servers.

Nothing here measures anything; each benchmark decides what it times.
"""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from peers import TetheredProcess  # noqa: E402
from peers.mastodon import MastodonPeer  # noqa: E402
from peers.pds import BlueskyPeer  # noqa: E402
from peers.services import PostgresServer, RedisServer  # noqa: E402


class Timeout(Exception):
    pass


R = TypeVar("R")


def run_within(seconds: float, run: Callable[[], R]) -> R:
    """``run()``, stopped by a :class:`Timeout` raised in the main thread after ``seconds``
    (a stuck peer or worker must not hold a benchmark forever)."""

    def expire(signum: int, frame: Any) -> None:
        raise Timeout(f"the run took more than {seconds:g} s")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return run()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def start_servers(stack: contextlib.ExitStack) -> tuple[PostgresServer, RedisServer, Any, Any]:
    """PostgreSQL, Redis and the PDS in parallel threads, the Mastodon peer meanwhile."""
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


def set_environment(
    postgres: PostgresServer, redis: RedisServer, data_dir: Path, *, lookahead: float, tick: float
) -> None:
    """The settings the bench process, the workers and beat all read."""
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
            "PUBLISH_LOOKAHEAD_SECONDS": str(lookahead),
            "PUBLISH_TICK_SECONDS": str(tick),
            # The benches measure the engine: a burst of ten posts per account at the same
            # instant is what they ask for, so the per-account pacing policy (tested in
            # tests/publishing/test_late_policy.py) is opened wide here.
            "PUBLISH_ACCOUNT_CONCURRENCY": "1000",
            "LOG_LEVEL": "WARNING",
        }
    )


def create_people() -> tuple[Any, Any, Any]:
    """A unit, an author and a manager who reviews and publishes: (unit, officer, manager)."""
    from accounts.models import Membership, OrgUnit, User
    from accounts.services import membership_create

    unit = OrgUnit.objects.create(
        name="Service communication", code="sicom", kind=OrgUnit.Kind.SERVICE
    )
    officer = User.objects.create_user("officer", first_name="Jeanne", last_name="Dupont")
    manager = User.objects.create_user("manager", first_name="Marc", last_name="Leroy")
    membership_create(user=officer, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=unit, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=unit, role=Membership.Role.PUBLISHER)
    return unit, officer, manager


def connect_accounts(
    count: int, unit: Any, bluesky: BlueskyPeer, mastodon: MastodonPeer
) -> list[Any]:
    """``count`` social accounts, even ones on Bluesky, odd ones on Mastodon."""
    from accounts.models import SocialAccount
    from accounts.services import social_account_create
    from publishing.services import account_check_connection

    accounts = []
    for n in range(count):
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
    log(f"{len(accounts)} accounts connected")
    return accounts


def approved_posts(texts: list[str], accounts: list[Any], officer: Any, manager: Any) -> list[Any]:
    """One approved post per text, post n going to account n modulo their number."""
    from editorial import services as editorial

    posts = []
    started = time.monotonic()
    for n, text in enumerate(texts):
        post = editorial.post_create(
            by=officer, accounts=[accounts[n % len(accounts)]], text=text, language="fr"
        )
        editorial.post_submit(post=post, by=officer)
        editorial.post_approve(post=post, by=manager)
        posts.append(post)
    log(f"{len(posts)} posts approved in {time.monotonic() - started:.1f} s")
    return posts


def start_celery(
    *, workers: int, pool: str, concurrency: int, logs: Path, stack: contextlib.ExitStack
) -> None:
    """``workers`` worker processes (all queues) and one beat; returns once workers are ready."""
    env = dict(os.environ)
    procs: list[tuple[TetheredProcess, Path, bytes]] = []
    for n in range(workers):
        log_path = logs / f"worker{n}.log"
        argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"bench{n}@%h"]
        argv += ["--pool", pool, "--concurrency", str(concurrency), "-l", "info"]
        procs.append(
            (TetheredProcess(argv, log_path=log_path, env=env, cwd=ROOT), log_path, b"ready.")
        )
    beat_log = logs / "beat.log"
    beat_argv = [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info"]
    beat_argv += ["-s", str(logs / "celerybeat-schedule")]
    procs.append((TetheredProcess(beat_argv, log_path=beat_log, env=env, cwd=ROOT), beat_log, b""))
    for proc, _, _ in procs:
        stack.callback(proc.stop)
        proc.start()
    deadline = time.monotonic() + 120
    for proc, log_path, marker in procs:
        while marker and not (log_path.exists() and marker in log_path.read_bytes()):
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{log_path.name} did not start:\n{log_path.read_text()[-3000:]}"
                )
            time.sleep(0.2)
    log(f"{workers} workers ({pool}, concurrency {concurrency}) and beat running")


def percentiles(values: list[float]) -> dict[str, float]:
    """Nearest-rank p50/p95/p99, max and min (empty for no values)."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]

    return {
        "p50": rank(0.50),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": ordered[-1],
        "min": ordered[0],
    }


def remote_texts(bluesky: BlueskyPeer, mastodon: MastodonPeer) -> dict[str, Counter[str]]:
    """The text of every post on the servers, per network, with its number of copies."""
    import httpx
    from mastodon import Mastodon

    from accounts.models import SocialAccount
    from publishing.adapters.mastodon import text_of_html

    texts: dict[str, Counter[str]] = {"bluesky": Counter(), "mastodon": Counter()}
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
                texts["bluesky"].update(str(r["value"]["text"]) for r in page["records"])
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
            texts["mastodon"].update(text_of_html(str(s["content"])).strip() for s in statuses)
    return texts


def remote_counts(bluesky: BlueskyPeer, mastodon: MastodonPeer) -> dict[str, int]:
    """Posts actually on the servers, per network (duplicates would show here)."""
    return {k: sum(v.values()) for k, v in remote_texts(bluesky, mastodon).items()}


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version()}


# --- CPU accounting ------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")
_MACHINE = "machine busy (all processes)"


def _proc_table() -> dict[int, tuple[int, float, str]]:
    """pid → (parent pid, CPU seconds used so far, command line) for every live process."""
    table: dict[int, tuple[int, float, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        # After the command name: state, ppid, ..., utime, stime, cutime, cstime (fields 14
        # to 17): children that ended count for their parent, e.g. PostgreSQL's backends,
        # one per connection, for the postmaster.
        cpu = sum(int(v) for v in fields[11:15]) / _TICKS
        table[int(entry.name)] = (int(fields[1]), cpu, cmdline)
    return table


def _role(pid: int, cmdline: str) -> str:
    if pid == os.getpid():
        return "bench process (raw SDK loop)"
    for marker, role in (
        ("celery -A config worker", "celery workers"),
        ("celery -A config beat", "celery beat"),
        ("postgres", "postgres"),
        ("redis-server", "redis"),
        ("server.mjs", "bluesky pds"),
        ("mastodon", "mastodon peer"),
    ):
        if marker in cmdline:
            return role
    return "other (ours)"


def cpu_snapshot() -> dict[str, float]:
    """CPU seconds used so far per role: this process and its descendants by what they run,
    and the whole machine's busy time from /proc/stat."""
    table = _proc_table()
    ours: set[int] = {os.getpid()}
    grew = True
    while grew:  # descendants, whatever session or user they run in
        before = len(ours)
        ours |= {pid for pid, (ppid, _, _) in table.items() if ppid in ours}
        grew = len(ours) != before
    roles: dict[str, float] = {}
    for pid, (_, cpu, cmdline) in table.items():
        if pid in ours:
            role = _role(pid, cmdline)
            roles[role] = roles.get(role, 0.0) + cpu
    with contextlib.suppress(OSError):
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        busy = sum(int(v) for i, v in enumerate(first) if i not in (3, 4))  # not idle/iowait
        roles[_MACHINE] = busy / _TICKS
    return roles


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds per role between two snapshots; "others" is the machine's busy time that
    none of our processes account for (other work, the kernel, processes that ended)."""
    used = {k: after[k] - before.get(k, 0.0) for k in after}
    machine_busy = used.pop(_MACHINE, 0.0)
    used["others on the machine"] = machine_busy - sum(used.values())
    used[_MACHINE] = machine_busy
    return {k: round(v, 2) for k, v in used.items() if abs(v) > 0.005}

"""The fault campaign at bench size: N scheduled posts (default 2,000) through fault-injecting
proxies in front of the real PDS and the Mastodon peer, with a worker SIGKILLed mid-publish,
Redis and beat restarted; then every post counted on the servers. One post in three has a
Bluesky reply gate (post and threadgate in one ``applyWrites`` commit, faulted too): each must
have exactly one threadgate under its own key, and no threadgate may stand alone.

    .venv/bin/python -m bench.fault_campaign                      # 2,000 posts
    .venv/bin/python -m bench.fault_campaign --posts 200 --window 40   # the CI size
    .venv/bin/python -m bench.fault_campaign --strip-idempotency-key   # as on GoToSocial

Prints the counts (published once, failed with an alert, duplicates, lost), the faults
injected and the timings as JSON. Exit status 0 only with no duplicate, nothing lost and
no threadgate problem.
The same machinery as ``tests/integration/test_fault_campaign.py``
(``bench/campaign.py``), on its own throwaway PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import machine  # noqa: E402
from bench.campaign import Peers, run_campaign  # noqa: E402
from peers import free_port  # noqa: E402
from peers.mastodon import MastodonPeer  # noqa: E402
from peers.pds import BlueskyPeer  # noqa: E402
from peers.proxy import FaultProxy  # noqa: E402
from peers.services import PostgresServer, RedisServer  # noqa: E402
from publishing.adapters.connect import MASTODON_SCOPES  # noqa: E402


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fault_campaign", description=__doc__)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=10, help="per network")
    parser.add_argument("--window", type=float, default=None, help="seconds (default posts/5)")
    parser.add_argument("--fault-probability", type=float, default=0.15, help="per write")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=6, help="threads per worker")
    parser.add_argument("--settle-timeout", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--strip-idempotency-key",
        action="store_true",
        help="the Mastodon proxy removes Idempotency-Key and the peer checks scopes per "
        "endpoint (servers that ignore the key, e.g. GoToSocial)",
    )
    return parser.parse_args(argv)


def _loadavg() -> list[float]:
    with contextlib.suppress(OSError):
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    return []


def run(a: argparse.Namespace) -> dict[str, Any]:
    from cryptography.fernet import Fernet

    a.window = a.window or max(20.0, a.posts / 5)

    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="porte-voix-faults-"))
        stack.callback(lambda: subprocess.run(["rm", "-rf", str(workdir)], check=False))
        postgres = stack.enter_context(PostgresServer(database="porte_voix_faults"))
        redis = stack.enter_context(RedisServer(persistent=True))
        strip = a.strip_idempotency_key
        mastodon = stack.enter_context(MastodonPeer(enforce_scopes=strip))
        mastodon_proxy = stack.enter_context(
            FaultProxy(
                mastodon.url,
                seed=a.seed + 1,
                strip_request_headers={"Idempotency-Key"} if strip else (),
            )
        )
        listen = free_port()
        bluesky_proxy = stack.enter_context(
            FaultProxy(f"http://127.0.0.1:{listen}", seed=a.seed + 2)
        )
        bluesky = stack.enter_context(BlueskyPeer(port=bluesky_proxy.port, listen_port=listen))
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": postgres.url,
                "REDIS_URL": redis.url,
                "DATA_DIR": str(workdir),
                "SECRET_KEY": secrets.token_urlsafe(50),
                "FERNET_KEYS": Fernet.generate_key().decode(),
                "PUBLISH_ALLOW_HTTP": "true",
                "LOG_LEVEL": "WARNING",
            }
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True, timeout=300
        )
        import django

        django.setup()
        load_before = _loadavg()
        result = run_campaign(
            Peers(mastodon, mastodon_proxy, bluesky, bluesky_proxy, redis),
            database_url=postgres.url,
            workdir=workdir,
            posts=a.posts,
            accounts_per_network=a.accounts,
            window=a.window,
            fault_probability=a.fault_probability,
            workers=a.workers,
            concurrency=a.concurrency,
            settle_timeout=a.settle_timeout,
            seed=a.seed,
            mastodon_scopes=MASTODON_SCOPES if strip else None,
        )
        result.pop("_verdict")
        result.pop("worker_logs")
        # Keep only the last lines of a process's log at its exit: why it stopped.
        result["process_exits"] = [e[-600:] for e in result["process_exits"]]
        from django.db import connection

        connection.close()
        return {
            "machine": {**machine(), "loadavg_before": load_before, "loadavg_after": _loadavg()},
            "options": vars(a),
            **result,
        }
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    a = _parse(argv)
    started = time.monotonic()
    results = run(a)
    results["timings_s"]["wall_including_servers"] = round(time.monotonic() - started, 1)
    print(json.dumps(results, indent=2, default=str))
    ok = (
        results["settled"]
        and not results["duplicates"]
        and not results["lost"]
        and not results["gated"]["problems"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

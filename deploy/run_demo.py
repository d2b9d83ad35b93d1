"""`make run`: the demo, end to end on this machine.

Starts the demo's broker (an embedded Valkey server, unless REDIS_URL or CELERY_BROKER_URL
names one), a Mastodon API server and (when Node 22 can be installed) a real Bluesky PDS on
loopback, migrates, loads the demo organisation connected to them, then runs the web server,
a Celery worker and Celery beat until Ctrl-C. The broker, web server, worker and beat are
supervised (deploy/supervise.py): one that dies is logged and restarted, never a reason to
stop the rest. Every process started here stops with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import demo
from deploy.supervise import Supervisor
from peers import PeerStartError, wait_until
from peers.mastodon import MastodonPeer
from peers.pds import BlueskyPeer

if TYPE_CHECKING:
    from collections.abc import Mapping

PY = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
# Beyond this, the web server is declared unable to start (a busy machine takes seconds).
WEB_START_TIMEOUT = float(os.environ.get("DEMO_WEB_START_TIMEOUT", "120"))


class DemoStartError(RuntimeError):
    """A part of the demo did not come up; the message says which and what to do."""


def data_dir(env: Mapping[str, str]) -> Path:
    """DATA_DIR as config/settings.py reads it."""
    return Path(env.get("DATA_DIR") or ROOT / "data").resolve()


def needs_embedded_broker(env: Mapping[str, str]) -> bool:
    return not (env.get("CELERY_BROKER_URL") or env.get("REDIS_URL"))


def broker_answers(directory: Path) -> bool:
    import redis

    client = redis.Redis(unix_socket_path=str(demo.socket_path(directory)), socket_timeout=2)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def start_broker(sup: Supervisor, directory: Path, *, timeout: float = 30.0) -> None:
    """Start the embedded Valkey server under ``sup`` and wait until it answers."""
    argv = demo.server_argv(directory)
    log_path = demo.broker_dir(directory) / "valkey.log"
    child = sup.add("broker", argv, log_path=log_path)
    if not wait_until(lambda: broker_answers(directory), timeout=timeout, interval=0.1):
        raise DemoStartError(
            f"The demo's broker (Valkey, pid {child.pid}) did not answer on "
            f"{demo.socket_path(directory)} within {timeout:.0f} s. Its log: {log_path}"
        )


def celery_commands() -> dict[str, list[str]]:
    celery = [PY, "-m", "celery", "-A", "config"]
    return {
        # Warnings only: at info level the worker logs every one-second scheduler tick.
        # Every queue but the e-mails': a mail server that answers slowly never holds the
        # slots the publishing tick needs (the "mail" worker sends them).
        "worker": [
            *celery,
            *("worker", "-n", "publish@%h", "-X", "email", "-l", "warning"),
            *("--concurrency", "2", "--pool", "threads"),
        ],
        "mail": [
            *celery,
            *("worker", "-n", "mail@%h", "-Q", "email", "-l", "warning"),
            *("--concurrency", "2", "--pool", "threads"),
        ],
        "beat": [*celery, "beat", "-l", "warning"],
    }


def web_answers(url: str) -> bool:
    """True once the server answers HTTP at all (any status: it is up)."""
    try:
        with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (our own loopback URL)
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def wait_for_web(sup: Supervisor, url: str, timeout: float) -> None:
    if not wait_until(lambda: web_answers(url), timeout=timeout, interval=0.25):
        web = sup.child("web")
        raise DemoStartError(
            f"The web server did not answer at {url} within {timeout:.0f} s "
            f"(restarts so far: {sum(r.name == 'web' for r in sup.restarts)}; "
            f"running: {web.running()}). Its errors are printed above; if the port is taken, "
            f"choose another one: PORT=8001 make run"
        )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _log(line: str) -> None:
    print(time.strftime("%H:%M:%S ") + line, file=sys.stderr, flush=True)


@dataclass
class Peers:
    """The local servers the demo started (each kept as soon as it runs, so that a start-up
    that fails later still stops it)."""

    mastodon: MastodonPeer | None = None
    bluesky: BlueskyPeer | None = None

    def started(self) -> list[MastodonPeer | BlueskyPeer]:
        return [p for p in (self.mastodon, self.bluesky) if p is not None]

    def stop(self) -> None:
        if self.bluesky is not None:
            self.bluesky.stop()
        if self.mastodon is not None:
            self.mastodon.stop()


def start_mastodon(peers: Peers) -> tuple[MastodonPeer, list[str]]:
    """Start the local Mastodon server; returns it and load_demo's arguments for it."""
    print("Starting the local Mastodon server…", flush=True)
    mastodon = peers.mastodon = MastodonPeer().start()
    token = mastodon.create_token("ministere")
    return mastodon, [
        "--mastodon-url",
        mastodon.url,
        "--mastodon-token",
        token,
        "--mastodon-handle",
        "ministere",
    ]


def start_bluesky(peers: Peers) -> list[str]:
    """Start the local Bluesky PDS; returns load_demo's arguments for it, none if it could
    not start (the demo then runs with Mastodon only)."""
    print(
        "Starting the local Bluesky PDS (first run installs Node 22: a few minutes)…",
        flush=True,
    )
    try:
        peers.bluesky = BlueskyPeer().start()
        account = peers.bluesky.create_account("ministere")
        return [
            "--bluesky-url",
            peers.bluesky.url,
            "--bluesky-handle",
            account.handle,
            "--bluesky-password",
            account.app_password,
        ]
    except PeerStartError as exc:
        print(f"Bluesky PDS unavailable, the demo runs with Mastodon only:\n{exc}", flush=True)
        return []


def prepare_database(env: Mapping[str, str], demo_args: list[str]) -> None:
    """Migrate, load the demo organisation connected to the peers, describe the server."""
    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input"], check=True, env=env, cwd=ROOT)
    subprocess.run([*manage, "load_demo", *demo_args], check=True, env=env, cwd=ROOT)
    # What connecting through the accounts page does: describe the Mastodon server
    # (software, limits, how it counts a status), so the demo's counters count as the
    # server will. A failure is printed and the demo still starts.
    subprocess.run([*manage, "check_connection"], check=False, env=env, cwd=ROOT)


def start_app(sup: Supervisor, env: Mapping[str, str]) -> str:
    """Start the web server, the workers and beat under ``sup``; returns the site's URL once
    the web server answers."""
    manage = [PY, str(ROOT / "manage.py")]
    sup.add("web", [*manage, "runserver", f"{HOST}:{PORT}", "--noreload"], env=env, cwd=ROOT)
    for name, argv in celery_commands().items():
        sup.add(name, argv, env=env, cwd=ROOT)
    site = demo.local_site_url(HOST, PORT)
    wait_for_web(sup, f"{site}/login/", WEB_START_TIMEOUT)
    return site


def watch(sup: Supervisor, peers: Peers) -> NoReturn:
    """Supervise until interrupted; a peer that stops is reported once."""
    peers_told = False
    while True:
        sup.poll()
        # The peers keep their data in memory: one that stops cannot come back with the
        # demo's accounts, so it is reported (publications to it fail and say so).
        dead = [p.url for p in peers.started() if not p.alive()]
        if dead and not peers_told:
            _log(f"[demo] peer stopped: {', '.join(dead)}; the rest keeps running")
            peers_told = True
        time.sleep(0.5)


def main() -> int:
    # Ctrl-C, `kill` and a closed terminal all stop the demo the same way. SIGINT is reset
    # because shells start background jobs with it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sup = Supervisor(log=_log)
    peers = Peers()
    try:
        if needs_embedded_broker(env):
            print("Starting the demo's broker (embedded Valkey)…", flush=True)
            start_broker(sup, data_dir(env))
        mastodon, demo_args = start_mastodon(peers)
        demo_args += start_bluesky(peers)
        prepare_database(env, demo_args)
        site = start_app(sup, env)
        print(
            f"\nPorte-voix is running: {site}/  (admin: /admin/)\n"
            f"Mastodon peer: {mastodon.url}"
            + (f"\nBluesky PDS:   {peers.bluesky.url}" if peers.bluesky else "")
            + "\nCtrl-C stops everything.\n",
            flush=True,
        )
        watch(sup, peers)
    except KeyboardInterrupt:
        return 0
    except (DemoStartError, demo.BrokerPathTooLong, subprocess.CalledProcessError) as exc:
        print(f"\nThe demo could not start: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # Reverse order: beat, worker, web, then the broker they use; then the peers.
        sup.stop()
        peers.stop()


if __name__ == "__main__":
    sys.exit(main())

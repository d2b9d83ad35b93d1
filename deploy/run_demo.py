"""`make run`: the demo, end to end on this machine.

Starts a Mastodon API server and (when Node 22 can be installed) a real Bluesky PDS on
loopback, migrates, loads the demo organisation connected to them, then runs the web server,
a Celery worker and Celery beat until Ctrl-C. Every process started here stops with it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers import PeerStartError
from tests.peers.mastodon import MastodonPeer
from tests.peers.pds import BlueskyPeer

PY = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


# Loaded before any fork: the child only makes one C call between fork and exec.
_LIBC = ctypes.CDLL("libc.so.6") if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C, `kill` and a closed terminal all stop the demo the same way. SIGINT is reset
    # because shells start background jobs with it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    print("Starting the local Mastodon server…", flush=True)
    mastodon = MastodonPeer().start()
    token = mastodon.create_token("ministere")
    demo_args = [
        "--mastodon-url",
        mastodon.url,
        "--mastodon-token",
        token,
        "--mastodon-handle",
        "ministere",
    ]
    bluesky: BlueskyPeer | None = None
    print("Starting the local Bluesky PDS (first run installs Node 22: a few minutes)…", flush=True)
    try:
        bluesky = BlueskyPeer().start()
        account = bluesky.create_account("ministere")
        demo_args += [
            "--bluesky-url",
            bluesky.url,
            "--bluesky-handle",
            account.handle,
            "--bluesky-password",
            account.app_password,
        ]
    except PeerStartError as exc:
        print(f"Bluesky PDS unavailable, the demo runs with Mastodon only:\n{exc}", flush=True)

    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input"], check=True, env=env, cwd=ROOT)
    subprocess.run([*manage, "load_demo", *demo_args], check=True, env=env, cwd=ROOT)
    # What connecting through the accounts page does: describe the Mastodon server (software,
    # limits, how it counts a status), so the demo's counters count as the server will
    # instead of conservatively. A failure is printed and the demo still starts.
    subprocess.run([*manage, "check_connection"], check=False, env=env, cwd=ROOT)

    celery = [PY, "-m", "celery", "-A", "config"]
    commands = [
        [*manage, "runserver", f"{HOST}:{PORT}", "--noreload"],
        # Warnings only: at info level the worker logs every one-second scheduler tick.
        [*celery, "worker", "-l", "warning", "--concurrency", "2", "--pool", "threads"],
        [*celery, "beat", "-l", "warning"],
    ]
    # Own sessions: Ctrl-C reaches this script only, which then stops them in order; and if
    # this script is killed outright, the kernel stops them (parent-death signal).
    procs = [
        subprocess.Popen(
            c,
            env=env,
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (one C call between fork and exec)
        )
        for c in commands
    ]
    time.sleep(2)
    print(
        f"\nPorte-voix is running: http://{HOST}:{PORT}/  (admin: /admin/)\n"
        f"Mastodon peer: {mastodon.url}"
        + (f"\nBluesky PDS:   {bluesky.url}" if bluesky else "")
        + "\nCtrl-C stops everything.\n",
        flush=True,
    )
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("A process stopped; shutting down.", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if bluesky is not None:
            bluesky.stop()
        mastodon.stop()


if __name__ == "__main__":
    sys.exit(main())

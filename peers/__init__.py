"""Real protocol peers and services for the tests and the demo, all on loopback.

- :class:`peers.pds.BlueskyPeer`: the reference Bluesky PDS with an in-memory did:plc
  directory (Node 22, installed into a cache outside the work tree).
- :class:`peers.mastodon.MastodonPeer`: ``mastodon-mock`` serving the Mastodon REST API
  from its own process.
- :class:`peers.services.PostgresServer`, :class:`peers.services.RedisServer`.

What every peer promises: it binds 127.0.0.1 only, on a free port unless told one; ``start()``
waits a bounded time and raises :class:`PeerStartError` with the server's own output when it
cannot start; ``stop()`` is idempotent; and no server outlives the Python process that started
it, however that process ends. Each server is tethered to its parent by a pipe on its standard
input: when the parent dies, even by SIGKILL, the pipe closes and the server shuts down.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

__all__ = [
    "LOOPBACK",
    "PeerStartError",
    "TetheredProcess",
    "free_port",
    "register_for_exit",
    "serve_until_signalled",
    "tail",
    "unregister_for_exit",
    "wait_until",
]

LOOPBACK = "127.0.0.1"


class PeerStartError(RuntimeError):
    """A peer could not be installed or started; the message carries its output."""


def free_port(host: str = LOOPBACK) -> int:
    """A port that was free on ``host`` a moment ago (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.05,
    alive: Callable[[], bool] | None = None,
) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; stop early when not ``alive``."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if alive is not None and not alive():
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def tail(path: Path | None, limit: int = 4000) -> str:
    """The end of a log file, for error messages."""
    if path is None:
        return ""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-limit:].decode("utf-8", "replace")


class _Stoppable(Protocol):
    def stop(self) -> None: ...


_live: weakref.WeakSet[_Stoppable] = weakref.WeakSet()
_live_lock = threading.Lock()


def register_for_exit(peer: _Stoppable) -> None:
    """Stop ``peer`` when the interpreter exits normally (the tether covers abnormal exits)."""
    with _live_lock:
        _live.add(peer)


def unregister_for_exit(peer: _Stoppable) -> None:
    with _live_lock:
        _live.discard(peer)


def serve_until_signalled(alive: Callable[[], bool], name: str) -> int:
    """Block until SIGINT, SIGTERM or SIGHUP (0), or until ``alive()`` turns false (1).

    Handlers are installed explicitly: a shell that starts us in the background leaves
    SIGINT ignored, and a demo runner may stop us with any of the three.
    """
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopped.set())
    while not stopped.wait(0.5):
        if not alive():
            print(f"{name} exited", file=sys.stderr)
            return 1
    return 0


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        peers = list(_live)
    for peer in peers:
        with contextlib.suppress(Exception):
            peer.stop()


# Runs as the direct child of the test process: starts the server (as `user` if given),
# and stops it with `stop_signal` when its stdin reaches EOF (the parent closed it or died)
# or when it is itself signalled; SIGKILL after `grace` seconds; then removes `cleanup_dir`
# unless the parent wrote "k" (keep) before closing.
# Standard library only: it runs with -I -S, outside the project's import path.
_TETHER = r"""
import os, shutil, signal, subprocess, sys, threading
stop_signal, grace, cleanup_dir = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
user = sys.argv[4] or None
child = subprocess.Popen(sys.argv[6:], stdin=subprocess.DEVNULL, user=user)
done = threading.Event()
keep = []
def watch():
    try:
        while True:
            data = os.read(0, 65536)
            if not data:
                break
            keep.append(b"k" in data)
    except OSError:
        pass
    done.set()
threading.Thread(target=watch, daemon=True).start()
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, lambda *_: done.set())
while not done.is_set() and child.poll() is None:
    done.wait(0.1)
if child.poll() is None:
    child.send_signal(stop_signal)
    try:
        child.wait(grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
if cleanup_dir and not any(keep):
    shutil.rmtree(cleanup_dir, ignore_errors=True)
code = child.returncode
sys.exit(code if code >= 0 else 128 - code)
"""


class TetheredProcess:
    """A server process that stops when its parent closes the pipe or dies.

    ``argv`` runs under a small supervisor (:data:`_TETHER`) in a session of its own, so a
    Ctrl-C in the terminal reaches the test process only, which then stops its servers in
    order. The server runs as ``user`` when given (we must be root then); the supervisor
    stays our own user, since another user may not be able to run our interpreter. Output
    goes to ``log_path`` (appended) or is discarded.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        stop_signal: signal.Signals = signal.SIGTERM,
        grace: float = 10.0,
        user: str | None = None,
        cleanup_dir: Path | None = None,
        log_path: Path | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.argv = list(argv)
        self._stop_signal = stop_signal
        self._grace = grace
        self._user = user
        self._cleanup_dir = cleanup_dir
        self.log_path = log_path
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self._proc is not None:
            return
        log: IO[bytes] | int = subprocess.DEVNULL
        if self.log_path is not None:
            log = self.log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    "-c",
                    _TETHER,
                    str(int(self._stop_signal)),
                    str(self._grace),
                    str(self._cleanup_dir or ""),
                    self._user or "",
                    "--",
                    *self.argv,
                ],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self._cwd or "/",
                start_new_session=True,
            )
        finally:
            if not isinstance(log, int):
                log.close()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def stop(self, *, keep_dir: bool = False) -> None:
        """Ask the supervisor to stop the server and wait, escalating to SIGKILL.

        ``keep_dir`` leaves ``cleanup_dir`` in place (for a restart on the same data).
        """
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                if keep_dir:
                    proc.stdin.write(b"k")
                    proc.stdin.flush()
                proc.stdin.close()
        try:
            proc.wait(self._grace + 5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

"""A small process supervisor for `make run` and the demo soak benchmark.

What it promises:
- every child runs in a session of its own (a Ctrl-C in the terminal reaches the demo only,
  which then stops the children in order) and, on Linux, gets SIGTERM if the supervisor dies
  outright (parent-death signal): no orphan outlives the demo;
- a child that exits is logged with its exit code and started again after a backoff that
  doubles on each quick death (``backoff`` to ``max_backoff``), and resets once the child has
  stayed up ``stable_after`` seconds; after ``budget`` restarts within ``window`` seconds it is
  given up on (logged), and the others keep running: one dead process never stops the rest;
- :meth:`Supervisor.stop` stops the children in the reverse order of :meth:`Supervisor.add`
  (SIGTERM, then SIGKILL after ``grace``): the web server and workers before the broker.

Standard library only: it is imported by deploy/run_demo.py before Django is set up.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

__all__ = ["Child", "Restart", "Supervisor"]

# Loaded before any fork: the child only makes one C call between fork and exec.
_LIBC = ctypes.CDLL("libc.so.6") if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class Restart:
    """One exit of a supervised child, as logged."""

    name: str
    returncode: int
    at: float  # time.monotonic()
    restarted: bool  # False: the restart budget was spent and the child was given up on


@dataclass
class Child:
    """One supervised command and its current process."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    log_path: Path | None = None
    grace: float = 10.0
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    next_start: float | None = None  # when a restart is due (monotonic), None when running
    backoff: float = 0.0
    recent: deque[float] = field(default_factory=deque)  # monotonic times of recent exits
    given_up: bool = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Supervisor:
    """Starts children, restarts the ones that die, stops them all in order.

    ``poll()`` does one round of supervision; ``run_until(stop_event)`` loops on it. Thread
    safe enough for one supervising thread plus callers of :meth:`stop` and the read-only
    accessors.
    """

    def __init__(
        self,
        *,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        budget: int = 10,
        window: float = 300.0,
        stable_after: float = 30.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.budget = budget
        self.window = window
        self.stable_after = stable_after
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._children: list[Child] = []
        self._lock = threading.Lock()
        self._stopping = False
        self.restarts: list[Restart] = []

    # --- building ---------------------------------------------------------------------------
    def add(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_path: Path | None = None,
        grace: float = 10.0,
    ) -> Child:
        """Register and start a child now."""
        child = Child(name, list(argv), env=env, cwd=cwd, log_path=log_path, grace=grace)
        with self._lock:
            if self._stopping:
                raise RuntimeError("the supervisor is stopping")
            self._children.append(child)
            self._start(child)
        return child

    def child(self, name: str) -> Child:
        for child in self._children:
            if child.name == name:
                return child
        raise KeyError(name)

    @property
    def children(self) -> list[Child]:
        return list(self._children)

    # --- supervising ------------------------------------------------------------------------
    def _start(self, child: Child) -> None:
        out: IO[bytes] | None = None
        if child.log_path is not None:
            out = child.log_path.open("ab")
        try:
            child.proc = subprocess.Popen(
                child.argv,
                env=dict(child.env) if child.env is not None else None,
                cwd=child.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT if out is not None else None,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 (one C call between fork and exec)
            )
        finally:
            if out is not None:
                out.close()
        child.started_at = time.monotonic()
        child.next_start = None

    def poll(self) -> None:
        """Notice exits, schedule restarts with backoff, start the ones that are due."""
        with self._lock:
            if self._stopping:
                return
            now = time.monotonic()
            for child in self._children:
                if child.given_up:
                    continue
                if child.next_start is not None:
                    if now >= child.next_start:
                        self._log(f"[supervisor] restarting {child.name}")
                        self._start(child)
                    continue
                code = child.proc.poll() if child.proc is not None else None
                if code is None:
                    continue
                self._on_exit(child, code, now)

    def _on_exit(self, child: Child, code: int, now: float) -> None:
        if now - child.started_at >= self.stable_after:
            child.backoff = 0.0  # it ran well for a while: this death is not a crash loop
        while child.recent and now - child.recent[0] > self.window:
            child.recent.popleft()
        child.recent.append(now)
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        if len(child.recent) > self.budget:
            child.given_up = True
            self.restarts.append(Restart(child.name, code, now, restarted=False))
            self._log(
                f"[supervisor] {child.name} stopped ({how}) {len(child.recent)} times in "
                f"{self.window:.0f} s: given up; the other processes keep running"
            )
            return
        child.backoff = min(self.max_backoff, child.backoff * 2 if child.backoff else self.backoff)
        child.next_start = now + child.backoff
        self.restarts.append(Restart(child.name, code, now, restarted=True))
        self._log(
            f"[supervisor] {child.name} (pid {child.pid}) stopped ({how}); "
            f"restarting in {child.backoff:.1f} s"
        )

    def run_until(self, stop: threading.Event, *, interval: float = 0.2) -> None:
        while not stop.wait(interval):
            self.poll()

    # --- stopping ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop every child, last added first; idempotent."""
        with self._lock:
            self._stopping = True
            children = list(reversed(self._children))
        for child in children:
            self._stop_child(child)

    def stop_child(self, name: str) -> None:
        """Stop one child for good (it is not restarted)."""
        with self._lock:
            child = self.child(name)
            child.given_up = True
        self._stop_child(child)

    @staticmethod
    def _stop_child(child: Child) -> None:
        proc = child.proc
        child.next_start = None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(child.grace)
        except subprocess.TimeoutExpired:
            # The whole session: a worker's own children must not outlive it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

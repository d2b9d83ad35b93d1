"""deploy/supervise.py: a child that dies is restarted and logged; the others never stop."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.supervise import Supervisor
from peers import wait_until

# A child that waits for SIGTERM, then notes its name in a shared file (the stopping order);
# it creates <record>.<name>.ready once its handler is installed.
_SLEEPER = r"""
import signal, sys, time
name, record = sys.argv[1], sys.argv[2]
def stop(*_):
    with open(record, "a") as f:
        f.write(name + "\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(record + "." + name + ".ready", "w").close()
while True:
    time.sleep(1)
"""


def _sleeper(name: str, record: Path) -> list[str]:
    return [sys.executable, "-c", _SLEEPER, name, str(record)]


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def supervisor(lines: list[str]) -> Iterator[Supervisor]:
    sup = Supervisor(backoff=0.01, max_backoff=0.05, budget=3, window=300, log=lines.append)
    stop = threading.Event()
    thread = threading.Thread(target=sup.run_until, args=(stop,), kwargs={"interval": 0.02})
    thread.start()
    yield sup
    stop.set()
    thread.join()
    sup.stop()


def test_supervisor_restarts_a_killed_child_and_leaves_the_others_alone(
    supervisor: Supervisor, lines: list[str], tmp_path: Path
) -> None:
    record = tmp_path / "stopped"
    broker = supervisor.add("broker", _sleeper("broker", record))
    worker = supervisor.add("worker", _sleeper("worker", record))
    web = supervisor.add("web", _sleeper("web", record))
    first_worker, broker_pid, web_pid = worker.pid, broker.pid, web.pid
    assert first_worker is not None

    os.kill(first_worker, signal.SIGKILL)

    assert wait_until(lambda: worker.running() and worker.pid != first_worker, timeout=30)
    assert broker.pid == broker_pid and broker.running()
    assert web.pid == web_pid and web.running()
    assert [(r.name, r.returncode, r.restarted) for r in supervisor.restarts] == [
        ("worker", -signal.SIGKILL, True)
    ]
    assert any("worker" in line and "signal 9" in line for line in lines)


def test_supervisor_logs_the_exit_code_and_gives_up_after_its_budget(
    supervisor: Supervisor, lines: list[str], tmp_path: Path
) -> None:
    web = supervisor.add("web", _sleeper("web", tmp_path / "stopped"))
    crashing = supervisor.add("crashing", [sys.executable, "-c", "raise SystemExit(3)"])

    assert wait_until(lambda: crashing.given_up, timeout=60)
    # budget=3: three restarts, then the fourth exit within the window is the last.
    assert [(r.returncode, r.restarted) for r in supervisor.restarts] == [
        (3, True),
        (3, True),
        (3, True),
        (3, False),
    ]
    assert sum("exit code 3" in line for line in lines) == 4
    assert "given up" in lines[-1]
    assert web.running()


def test_supervisor_stops_every_child_in_reverse_order(tmp_path: Path) -> None:
    record = tmp_path / "stopped"
    sup = Supervisor(log=lambda line: None)
    children = [sup.add(name, _sleeper(name, record)) for name in ("broker", "worker", "web")]
    # Stop only once each child has its SIGTERM handler (it says so in a file).
    ready = [tmp_path / f"stopped.{name}.ready" for name in ("broker", "worker", "web")]
    assert wait_until(lambda: all(path.exists() for path in ready), timeout=30)
    sup.poll()

    sup.stop()
    sup.poll()  # a stopped supervisor restarts nothing

    assert record.read_text().split() == ["web", "worker", "broker"]
    assert not any(c.running() for c in children)
    assert sup.restarts == []

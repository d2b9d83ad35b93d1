"""The production files in deploy/: systemd units and the gunicorn configuration."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from peers import LOOPBACK, free_port

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deploy" / "systemd"
VENV_BIN = Path(sys.executable).parent


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNITS / name)
    return parser


def test_every_process_restarts_on_its_own() -> None:
    names = sorted(p.name for p in UNITS.glob("*.service"))
    assert names == [
        "porte-voix-beat.service",
        "porte-voix-mail.service",
        "porte-voix-web.service",
        "porte-voix-worker.service",
    ]
    for name in names:
        service = _unit(name)["Service"]
        # A worker can exit when Redis restarts under it: it must come back by itself.
        assert service["Restart"] == "always", name
        assert service["EnvironmentFile"] == "/etc/porte-voix/env", name
        assert service["User"] == "porte-voix", name


def test_workers_split_the_queues_and_beat_keeps_its_schedule_in_the_data_dir() -> None:
    worker = _unit("porte-voix-worker.service")["Service"]["ExecStart"].split()
    assert worker[1:4] == ["-A", "config", "worker"]
    # Every queue but "email": the ticks ("celery"), both networks' and any queue added later.
    assert "-Q" not in worker and "--queues" not in worker
    assert worker[worker.index("-X") + 1] == "email"
    mail = _unit("porte-voix-mail.service")["Service"]["ExecStart"].split()
    assert mail[1:4] == ["-A", "config", "worker"]
    assert mail[mail.index("-Q") + 1] == "email"
    # Every queue the settings declare is consumed by one of the two, "email" by the mail one.
    from django.conf import settings

    declared = {q.name for q in settings.CELERY_TASK_QUEUES}
    assert "email" in declared and declared - {"email"}
    # systemd turns %% into %: Celery then names each worker after the machine (%h).
    assert worker[worker.index("-n") + 1] == "publish@%%h"
    assert mail[mail.index("-n") + 1] == "mail@%%h"
    beat = _unit("porte-voix-beat.service")["Service"]["ExecStart"].split()
    assert beat[1:4] == ["-A", "config", "beat"]
    assert beat[beat.index("-s") + 1].startswith("/var/lib/porte-voix/")
    web = _unit("porte-voix-web.service")["Service"]["ExecStart"].split()
    assert web[1:] == ["-c", "deploy/gunicorn.conf.py"]


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    # Installed by `make test` (deploy/install-system-deps.sh): missing is a failure, not a skip.
    assert analyze is not None, "systemd-analyze is missing: install the Debian package systemd"
    env_file = tmp_path / "env"
    env_file.write_text("")
    for unit in UNITS.glob("*.service"):
        # The same unit, pointed at this checkout: verify checks that the commands exist.
        text = (
            unit.read_text()
            .replace("/opt/porte-voix/.venv/bin", str(VENV_BIN))
            .replace("/opt/porte-voix", str(ROOT))
            .replace("/etc/porte-voix/env", str(env_file))
            .replace("User=porte-voix", "User=root")
            .replace("Group=porte-voix", "Group=root")
        )
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_gunicorn_serves_the_app_with_the_deploy_configuration(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "WEB_BIND": f"{LOOPBACK}:{port}",
        "WEB_CONCURRENCY": "1",
        "DATA_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120  # generous: gunicorn starts slowly when busy
        while True:
            try:
                with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/login/", timeout=30) as r:
                    status, body = r.status, r.read().decode()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert status == 200
        assert 'name="csrfmiddlewaretoken"' in body
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert "Booting worker" in output


def test_wsgi_application_freezes_what_it_loaded_out_of_the_collector(tmp_path: Path) -> None:
    # A full collection walked every object Django and the apps had loaded: about 55 ms, once
    # in about eighty requests (docs/benchmarks.md). The web process freezes them at startup.
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DATA_DIR": str(tmp_path),
    }
    script = "import gc; import config.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", script],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 10_000

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _settings(
    env: dict[str, str], tmp_path: Path, *, show: str = "s.DEBUG, s.CELERY_BROKER_URL"
) -> subprocess.CompletedProcess[str]:
    unset = {
        "SECRET_KEY",
        "FERNET_KEYS",
        "DATABASE_PREPARED_STATEMENTS",
        "CELERY_BROKER_URL",
        "SITE_URL",
        "HOST",
        "PORT",
    }
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print({show})"],
        cwd=ROOT,
        env={**clean, "DATA_DIR": str(tmp_path), "REDIS_URL": "", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_production_refuses_missing_secret(tmp_path: Path) -> None:
    result = _settings({"PORTE_VOIX_ENV": "production"}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_settings_production_refuses_debug(tmp_path: Path) -> None:
    result = _settings(
        {
            "PORTE_VOIX_ENV": "production",
            "DEBUG": "true",
            "SECRET_KEY": "x" * 50,
            "FERNET_KEYS": "a",
        },
        tmp_path,
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_settings_defaults_serve_a_newcomer(tmp_path: Path) -> None:
    result = _settings({}, tmp_path)
    assert result.returncode == 0, result.stderr
    # The embedded Valkey server of `make run`, on a socket in DATA_DIR: never filesystem://.
    assert result.stdout.split() == [
        "False",
        f"redis+socket://{tmp_path.resolve()}/broker/valkey.sock",
    ]
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_settings_production_refuses_to_run_without_a_redis(tmp_path: Path) -> None:
    secrets = {"PORTE_VOIX_ENV": "production", "SECRET_KEY": "x" * 50, "FERNET_KEYS": "a"}
    refused = _settings(secrets, tmp_path)
    accepted = _settings({**secrets, "REDIS_URL": "redis://127.0.0.1:6379/0"}, tmp_path)
    assert refused.returncode != 0
    assert "REDIS_URL" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.split() == ["False", "redis://127.0.0.1:6379/0"]


def test_settings_an_explicit_broker_wins_over_redis_url(tmp_path: Path) -> None:
    env = {"REDIS_URL": "redis://127.0.0.1:1/0", "CELERY_BROKER_URL": "redis://127.0.0.1:2/0"}
    result = _settings(env, tmp_path)
    assert result.stdout.split() == ["False", "redis://127.0.0.1:2/0"]


def _site_url(env: dict[str, str], tmp_path: Path) -> str:
    result = _settings(env, tmp_path, show="s.SITE_URL")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_settings_site_url_follows_the_demo_port_and_host(tmp_path: Path) -> None:
    assert _site_url({}, tmp_path) == "http://127.0.0.1:8000"
    assert _site_url({"PORT": "8123"}, tmp_path) == "http://127.0.0.1:8123"
    assert _site_url({"HOST": "localhost", "PORT": "9000"}, tmp_path) == "http://localhost:9000"
    # A wildcard bind is reached on loopback; an IPv6 address is bracketed.
    assert _site_url({"HOST": "0.0.0.0", "PORT": "8123"}, tmp_path) == "http://127.0.0.1:8123"
    assert _site_url({"HOST": "::1", "PORT": "8123"}, tmp_path) == "http://[::1]:8123"
    # An explicit SITE_URL (production behind its proxy) is kept as given.
    explicit = {"SITE_URL": "https://pv.example.gouv.fr", "PORT": "8123"}
    assert _site_url(explicit, tmp_path) == "https://pv.example.gouv.fr"


def _database_options(env: dict[str, str], tmp_path: Path) -> str:
    result = _settings(env, tmp_path, show="s.DATABASES['default']")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_postgresql_prepares_statements_unless_turned_off(tmp_path: Path) -> None:
    url = {"DATABASE_URL": "postgres://pv:pw@127.0.0.1:5432/pv"}
    on = _database_options(url, tmp_path)
    assert "'server_side_binding': True" in on and "'prepare_threshold': 5" in on
    off = _database_options({**url, "DATABASE_PREPARED_STATEMENTS": "false"}, tmp_path)
    assert "server_side_binding" not in off and "prepare_threshold" not in off
    # SQLite has neither option.
    sqlite = _database_options({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}, tmp_path)
    assert "server_side_binding" not in sqlite


def test_settings_refuse_a_deletion_stale_delay_shorter_than_a_deletion(tmp_path: Path) -> None:
    env = {"PUBLISH_REQUEST_TIMEOUT": "15", "PUBLISH_DELETION_STALE_SECONDS": "30"}
    refused = _settings(env, tmp_path)
    accepted = _settings(
        {**env, "PUBLISH_DELETION_STALE_SECONDS": "31"},
        tmp_path,
        show="s.PUBLISH_DELETION_STALE_SECONDS",
    )
    assert refused.returncode != 0
    assert "PUBLISH_DELETION_STALE_SECONDS" in refused.stderr
    assert accepted.stdout.split() == ["31.0"]


def test_settings_refuse_a_dead_worker_threshold_under_three_heartbeats(tmp_path: Path) -> None:
    env = {"PUBLISH_WORKER_HEARTBEAT_SECONDS": "5", "PUBLISH_WORKER_DEAD_SECONDS": "14"}
    refused = _settings(env, tmp_path)
    accepted = _settings(
        {**env, "PUBLISH_WORKER_DEAD_SECONDS": "15"},
        tmp_path,
        show="s.PUBLISH_WORKER_DEAD_SECONDS",
    )
    assert refused.returncode != 0
    assert "PUBLISH_WORKER_DEAD_SECONDS" in refused.stderr
    assert accepted.stdout.split() == ["15.0"]


def test_check_warns_when_a_dead_worker_could_be_looked_up_before_its_last_request_lands(
    settings: Any,
) -> None:
    from publishing.checks import dead_worker_settles

    settings.PUBLISH_WORKER_HEARTBEAT_SECONDS = 5
    settings.PUBLISH_REQUEST_TIMEOUT = 15
    settings.PUBLISH_WORKER_DEAD_SECONDS = 34
    warned = dead_worker_settles()
    settings.PUBLISH_WORKER_DEAD_SECONDS = 35
    quiet = dead_worker_settles()

    assert [message.id for message in warned] == ["publishing.W001"]
    assert "PUBLISH_WORKER_DEAD_SECONDS" in warned[0].msg
    assert quiet == []


def test_default_dead_worker_threshold_passes_the_check() -> None:
    from django.core.checks import run_checks

    assert [m for m in run_checks() if m.id == "publishing.W001"] == []


def test_demo_links_and_the_mastodon_callback_follow_port(tmp_path: Path) -> None:
    """Every e-mail link and the OAuth redirect URI registered with Mastodon use SITE_URL."""
    show = (
        "__import__('django').setup() or "
        "__import__('publishing.services.connect', fromlist=['_']).callback_url(), "
        "__import__('editorial.emails', fromlist=['_']).post_url(7)"
    )
    env = {"PORT": "8123", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = _settings(env, tmp_path, show=show)
    assert result.returncode == 0, result.stderr
    callback, link = result.stdout.split()
    assert callback == "http://127.0.0.1:8123/accounts/connect/mastodon/callback/"
    assert link == "http://127.0.0.1:8123/posts/7/"

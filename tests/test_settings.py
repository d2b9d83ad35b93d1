from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _settings(
    env: dict[str, str], tmp_path: Path, *, show: str = "s.DEBUG, s.CELERY_BROKER_URL"
) -> subprocess.CompletedProcess[str]:
    unset = {
        "SECRET_KEY",
        "FERNET_KEYS",
        "AUDIT_HMAC_KEY",
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
    secrets = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}  # strong ones
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


# Production secrets: refused at start-up, with the variable named and how to make a good one.
GOOD_FERNET = "RAHGYHZDgU39M1kSSUQA4C0BUC9aYuaxNXWUXACZwaQ="  # Fernet.generate_key()
PRODUCTION = {
    "PORTE_VOIX_ENV": "production",
    "SECRET_KEY": "kJ8s-2QpZr7vXw0LmN4bYc6TdUe1FgHh3iAoBj5Ck9Dl_EfGaHbIcJdKeLfMgNh",
    "FERNET_KEYS": GOOD_FERNET,
    "AUDIT_HMAC_KEY": "Zq1Wx2Ec3Rv4Tb5Yn6Um7Ik8Ol9Pa0SdFgHjKl",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_settings_production_accepts_strong_secrets(tmp_path: Path) -> None:
    result = _settings(PRODUCTION, tmp_path, show="len(s.FERNET_KEYS), len(s.AUDIT_HMAC_KEY)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "38"]


@pytest.mark.parametrize(
    "weak",
    [
        "x" * 64,  # long but one character
        "short-but-varied-0123456789abcdefXYZ",  # under 50 characters
        "django-insecure-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",  # startproject's
        "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd",  # a pattern: 4 characters
    ],
)
def test_settings_production_refuses_a_weak_secret_key(tmp_path: Path, weak: str) -> None:
    result = _settings({**PRODUCTION, "SECRET_KEY": weak}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is too weak for production" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr
    assert weak not in result.stderr  # the value itself is never logged


def test_settings_production_accepts_a_hex_secret_key(tmp_path: Path) -> None:
    # `openssl rand -hex 32`: 16 different characters, 256 bits: strong.
    hex_key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    result = _settings({**PRODUCTION, "SECRET_KEY": hex_key}, tmp_path, show="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("keys", "position"),
    [
        ("not-a-key", "key number 1 of 1"),
        (f"{GOOD_FERNET},{GOOD_FERNET[:-2]}", "key number 2 of 2"),  # truncated paste
        ("", None),  # set but empty
    ],
)
def test_settings_production_refuses_an_invalid_fernet_key(
    tmp_path: Path, keys: str, position: str | None
) -> None:
    result = _settings({**PRODUCTION, "FERNET_KEYS": keys}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: FERNET_KEYS" in result.stderr
    assert "Fernet.generate_key()" in result.stderr
    if position:
        assert position in result.stderr
    assert GOOD_FERNET[:-2] not in result.stderr


def test_settings_development_refuses_an_invalid_fernet_key_too(tmp_path: Path) -> None:
    result = _settings({"FERNET_KEYS": "not-a-key"}, tmp_path)
    assert result.returncode != 0
    assert "FERNET_KEYS: key number 1 of 1 is not a Fernet key" in result.stderr


def test_settings_production_requires_an_audit_key_apart_from_the_secret_key(
    tmp_path: Path,
) -> None:
    missing = {k: v for k, v in PRODUCTION.items() if k != "AUDIT_HMAC_KEY"}
    same = {**PRODUCTION, "AUDIT_HMAC_KEY": PRODUCTION["SECRET_KEY"]}
    weak = {**PRODUCTION, "AUDIT_HMAC_KEY": "audit"}
    assert "AUDIT_HMAC_KEY" in _settings(missing, tmp_path).stderr
    assert "AUDIT_HMAC_KEY must differ from SECRET_KEY" in _settings(same, tmp_path).stderr
    assert "AUDIT_HMAC_KEY is too weak for production" in _settings(weak, tmp_path).stderr


def test_settings_audit_head_is_logged_by_the_beat_unless_turned_off(tmp_path: Path) -> None:
    show = "'audit-head-log' in s.CELERY_BEAT_SCHEDULE"
    assert _settings({}, tmp_path, show=show).stdout.split() == ["True"]
    off = _settings({"AUDIT_HEAD_LOG_SECONDS": "0"}, tmp_path, show=show)
    assert off.stdout.split() == ["False"]
    assert "AUDIT_HEAD_LOG_SECONDS" in _settings({"AUDIT_HEAD_LOG_SECONDS": "-1"}, tmp_path).stderr


def test_demo_links_and_the_mastodon_callback_follow_port(tmp_path: Path) -> None:
    """Every e-mail link and the OAuth redirect URI registered with Mastodon use SITE_URL."""
    show = (
        "__import__('django').setup() or "
        "__import__('publishing.services.connection', fromlist=['_']).callback_url(), "
        "__import__('editorial.emails', fromlist=['_']).post_url(7)"
    )
    env = {"PORT": "8123", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = _settings(env, tmp_path, show=show)
    assert result.returncode == 0, result.stderr
    callback, link = result.stdout.split()
    assert callback == "http://127.0.0.1:8123/accounts/connect/mastodon/callback/"
    assert link == "http://127.0.0.1:8123/posts/7/"

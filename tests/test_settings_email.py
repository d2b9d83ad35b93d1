"""Outgoing email is configured from the environment: EMAIL_URL, else EMAIL_HOST, else console."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINT = "import config.settings as s; print(s.EMAIL_BACKEND, getattr(s, 'EMAIL_HOST', ''))"


def _email_settings(env: dict[str, str], tmp_path: Path) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    result = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env={**clean, "DATA_DIR": str(tmp_path), "REDIS_URL": "", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_settings_email_defaults_to_the_console(tmp_path: Path) -> None:
    assert _email_settings({}, tmp_path).startswith(
        "django.core.mail.backends.console.EmailBackend"
    )


def test_settings_email_host_selects_smtp(tmp_path: Path) -> None:
    assert _email_settings({"EMAIL_HOST": "smtp.example.gouv.fr"}, tmp_path) == (
        "django.core.mail.backends.smtp.EmailBackend smtp.example.gouv.fr"
    )


def test_settings_email_url_wins_over_email_host(tmp_path: Path) -> None:
    env = {"EMAIL_URL": "smtp+tls://u:p@mail.example.gouv.fr:587", "EMAIL_HOST": "other"}
    assert _email_settings(env, tmp_path) == (
        "django.core.mail.backends.smtp.EmailBackend mail.example.gouv.fr"
    )

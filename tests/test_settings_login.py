"""Login settings read from the environment: defaults, and values refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_settings import _settings


def test_settings_login_defaults(tmp_path: Path) -> None:
    result = _settings(
        {},
        tmp_path,
        show="s.SESSION_COOKIE_AGE, s.AXES_FAILURE_LIMIT, s.LOGIN_IP_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_TIME.total_seconds(), "
        "[v.get('OPTIONS', {}).get('min_length') for v in s.AUTH_PASSWORD_VALIDATORS]",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=4) == [
        "32400",
        "5",
        "50",
        "900.0",
        "[None, 12, None, None]",
    ]


def test_settings_session_length_from_the_environment(tmp_path: Path) -> None:
    result = _settings({"SESSION_COOKIE_AGE": "3600"}, tmp_path, show="s.SESSION_COOKIE_AGE")
    assert result.stdout.strip() == "3600"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PASSWORD_MIN_LENGTH": "8"}, "PASSWORD_MIN_LENGTH"),
        ({"SESSION_COOKIE_AGE": "10"}, "SESSION_COOKIE_AGE"),
        ({"LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT"),
        ({"LOGIN_FAILURE_LIMIT": "60"}, "LOGIN_IP_FAILURE_LIMIT"),
        ({"LOGIN_COOLOFF_MINUTES": "0"}, "LOGIN_COOLOFF_MINUTES"),
    ],
)
def test_settings_login_refuses_weak_values(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = _settings(env, tmp_path)
    assert result.returncode != 0
    assert named in result.stderr

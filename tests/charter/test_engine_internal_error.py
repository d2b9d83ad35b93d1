"""A rule that raises is reported as a warning on the post, logged, and never blocks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from charter import engine
from charter.engine import CharterConfig, check
from charter.rules import RULES, Finding, Severity
from charter.snapshot import PostSnapshot, RenditionSnapshot


def _broken(snapshot: PostSnapshot, params: Any, severity: Severity) -> Iterator[Finding]:
    raise RuntimeError("bug in the rule")
    yield  # pragma: no cover (a generator, like every rule)


def test_check_turns_a_crashing_rule_into_a_logged_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    code = "a11y.caps"
    monkeypatch.setitem(RULES, code, dataclasses.replace(RULES[code], check=_broken))
    snapshot = PostSnapshot(
        "Bonjour", "fr", (RenditionSnapshot(1, "mastodon", "dgx", "Bonjour", "— DGX ^JD"),)
    )

    report = check(snapshot, CharterConfig.default())

    found = [f for f in report.findings if f.rule == code]
    assert [f.severity for f in found] == [Severity.WARN]
    assert "could not check this post" in found[0].message
    assert report.ok
    assert any("Charter rule a11y.caps failed" in r.getMessage() for r in caplog.records)
    assert engine.logger.name == "charter.engine"

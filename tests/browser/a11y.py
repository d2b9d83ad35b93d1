"""Accessibility and small-screen checks every browser test of a main page calls.

axe-core comes from npm (deploy/install_assets.sh caches it outside the work tree) and is
evaluated through the DevTools protocol, so the page's Content-Security-Policy (no inline
script) stays on while it runs: what is checked is the page users get.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Impacts that fail a test. "moderate" and "minor" findings are reported in the message of a
# failure but do not fail on their own (issue #15: no serious or critical violation).
FAILING_IMPACTS = frozenset({"serious", "critical"})
PHONE_WIDTH = 360


@functools.cache
def _axe_source() -> str:
    found = os.environ.get("AXE_CORE_JS")
    if not found:
        out = subprocess.run(
            ["bash", str(ROOT / "deploy" / "install_assets.sh")],
            check=False,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            pytest.fail(f"deploy/install_assets.sh failed (npm axe-core): {out.stderr[-2000:]}")
        modules = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
        found = str(Path(modules["NODE_MODULES"]) / "axe-core" / "axe.min.js")
    return Path(found).read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (WCAG 2.1 A and AA rules)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source() + "\n;true")
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        }"""
    )
    return list(result)


def assert_accessible(page: Any) -> None:
    """No serious or critical axe-core violation on the page."""
    violations = axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert failing == [], json.dumps(violations, indent=1, ensure_ascii=False)


def assert_no_sideways_scroll(page: Any, width: int = PHONE_WIDTH) -> None:
    """At a phone's width the page is never wider than the screen (no horizontal scroll)."""
    page.set_viewport_size({"width": width, "height": 800})
    page.wait_for_timeout(50)  # let the layout settle after the resize (not a timing assertion)
    overflow = page.evaluate(
        """() => {
            const doc = document.documentElement;
            const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > doc.clientWidth + 1)
                .slice(0, 5)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (e.className && typeof e.className === 'string'
                        ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
            return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
        }"""
    )
    assert overflow["scroll"] <= overflow["client"], overflow

from __future__ import annotations

from django.utils import translation

from charter.management.commands.charter_rules_doc import render_reference
from charter.rules import RULES, Finding, Severity


def test_rules_not_waivable_are_hard_limits_and_legal_bans() -> None:
    assert {code for code, rule in RULES.items() if not rule.waivable} == {
        "len.mastodon",
        "len.bluesky",
        "media.count",
        "media.alt_length",
        "confidential.markings",
        "neutrality.electoral_silence",
        "pii.address",
    }


def test_locked_rules_are_never_waivable() -> None:
    assert all(not rule.waivable for rule in RULES.values() if rule.locked)


def test_finding_raises_no_tier_by_default() -> None:
    assert Finding("x", Severity.WARN, "m").min_tier == ""


def test_reference_shows_waivability() -> None:
    with translation.override("en"):
        reference = render_reference()
    assert "| `neutrality.electoral_silence` | Electoral silence | block | yes | no |" in reference
    assert "| `lang.french_required` | French on French-speaking accounts | block | no | yes |" in (
        reference
    )


def test_reference_shows_the_tier_a_finding_raises() -> None:
    with translation.override("en"):
        reference = render_reference()
    assert "(raises the tier to political)" in reference


def test_reference_shows_what_a_timed_example_depends_on() -> None:
    with translation.override("en"):
        reference = render_reference()
    assert "- Scheduled for 2026-03-14 09:30:00+01:00." in reference
    assert "- Election: Municipales 2026 (pre-electoral period from 2025-09-01, " in reference
    assert "- Account @dgx is deactivated." in reference

"""What a waiver does to a check, and which categories fit which rule (no database)."""

from __future__ import annotations

from charter.engine import CharterConfig, check
from charter.snapshot import PostSnapshot, RenditionSnapshot
from charter.waivers import WaiverCategory, allowed_categories

C = WaiverCategory
TEXT = "Écrivez à contact@mairie-exemple.fr. Document CONFIDENTIEL."


def _snapshot(text: str = TEXT) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="mairie", body=text, byline="— SICOM"
    )
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


def test_check_marks_waived_findings_and_they_no_longer_block() -> None:
    report = check(_snapshot(), CharterConfig.default(), waived=frozenset({"pii.email"}))
    email = [f for f in report.findings if f.rule == "pii.email"]
    assert email and all(f.waived for f in email)
    assert "pii.email" not in {f.rule for f in report.blocking}


def test_check_ignores_a_waiver_of_a_rule_that_is_not_waivable() -> None:
    report = check(
        _snapshot(), CharterConfig.default(), waived=frozenset({"confidential.markings"})
    )
    assert "confidential.markings" in {f.rule for f in report.blocking}
    assert not report.ok


def test_check_without_waivers_blocks() -> None:
    report = check(_snapshot(), CharterConfig.default())
    assert {"pii.email", "confidential.markings"} <= {f.rule for f in report.blocking}


def test_allowed_categories_of_restricted_rules() -> None:
    assert allowed_categories("media.alt_text") == (C.DECORATIVE,)
    assert allowed_categories("pii.phone") == (C.OWN_CONTACT,)
    assert allowed_categories("lang.french_required") == (C.INTERNATIONAL,)


def test_allowed_categories_of_other_rules_exclude_the_specific_ones() -> None:
    assert allowed_categories("neutrality.partisan") == (C.EDITORIAL, C.OTHER)


def test_allowed_categories_of_a_rule_that_is_not_waivable_are_empty() -> None:
    assert allowed_categories("neutrality.electoral_silence") == ()
    assert allowed_categories("pii.address") == ()
    assert allowed_categories("no.such.rule") == ()

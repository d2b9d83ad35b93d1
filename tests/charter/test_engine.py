from __future__ import annotations

import pytest

from bench.odd_texts import CHECK_ODD_TEXTS, FAMILY, check_snapshot
from charter.engine import (
    CharterConfig,
    CharterParamsError,
    CheckReport,
    Counter,
    check,
    counters,
    normalize_params,
)
from charter.rules import RULES, Finding, Severity
from charter.snapshot import MediaSnapshot
from tests.charter.builders import bluesky, mastodon, post

MISSING_ALT = (MediaSnapshot("a.jpg", "", mime_type="image/jpeg"),)


def _config(params: dict[str, object]) -> CharterConfig:
    return CharterConfig.from_params(params, version_id=7, version_label="Charte DGX v3")


def test_check_clean_post_is_ok() -> None:
    snapshot = post("Bonjour", mastodon("Bonjour"), bluesky("Bonjour"))
    report = check(snapshot, CharterConfig.default())
    assert report.findings == ()
    assert report.ok


def test_check_blocking_finding_is_not_ok() -> None:
    report = check(post("x", mastodon("x"), media=MISSING_ALT), CharterConfig.default())
    assert not report.ok
    assert [f.rule for f in report.blocking] == ["media.alt_text"]


def test_check_report_names_the_charter_version() -> None:
    report = check(post("x", mastodon("x")), _config({}))
    assert (report.charter_version_id, report.charter_label) == (7, "Charte DGX v3")


def test_check_default_config_has_no_version() -> None:
    report = check(post("x", mastodon("x")), CharterConfig.default())
    assert report.charter_version_id is None
    assert report.charter_label == "Default charter"


def test_check_severity_override_turns_block_into_warn() -> None:
    config = _config({"severities": {"media.alt_text": "warn"}})
    report = check(post("x", mastodon("x"), media=MISSING_ALT), config)
    assert report.ok
    assert [f.severity for f in report.warnings] == [Severity.WARN]


def test_check_disabled_rule_does_not_run() -> None:
    config = _config({"disabled": ["media.alt_text"]})
    assert check(post("x", mastodon("x"), media=MISSING_ALT), config).findings == ()


def test_check_passes_the_version_params_to_the_rule() -> None:
    config = _config({"terms.forbidden": {"terms": ["asap"]}})
    findings = check(post("ASAP", mastodon("ASAP")), config).findings
    (finding,) = [f for f in findings if f.rule == "terms.forbidden"]
    assert finding.span == (0, 4)


def test_check_locked_rule_holds_whatever_a_hand_built_config_says() -> None:
    config = CharterConfig(
        version_id=None,
        version_label="x",
        severities={"len.bluesky": Severity.WARN},
        disabled=frozenset({"len.bluesky"}),
    )
    report = check(post("", bluesky("x" * 301)), config)
    assert [f.severity for f in report.findings] == [Severity.BLOCK]


def test_check_report_keeps_findings_of_every_rule() -> None:
    config = _config({"terms.forbidden": {"terms": ["x"]}})
    report = check(post("x", mastodon("x" * 501), media=MISSING_ALT), config)
    rules = {f.rule for f in report.findings}
    assert rules == {"len.mastodon", "media.alt_text", "terms.forbidden"}


@pytest.mark.parametrize("name", list(CHECK_ODD_TEXTS))
def test_check_survives_odd_text(name: str) -> None:
    # No exception, a report and counters. How fast (catastrophic backtracking would take
    # minutes) is measured by bench/charter_worst_case.py, not asserted on this machine.
    snapshot = check_snapshot(CHECK_ODD_TEXTS[name])
    config = _config({"terms.forbidden": {"terms": ["a", "é", "b c"]}})
    report = check(snapshot, config)
    assert isinstance(report, CheckReport)
    assert {c.network for c in counters(snapshot)} == {"mastodon", "bluesky"}


def test_config_is_frozen_all_the_way_down() -> None:
    config = _config({"terms.forbidden": {"terms": ["a"]}})
    with pytest.raises(TypeError):
        config.params["terms.forbidden"]["terms"] = ["b"]  # type: ignore[index]
    assert config.params["terms.forbidden"]["terms"] == ("a",)


def test_config_from_params_skips_what_no_longer_fits() -> None:
    config = _config({"gone.rule": {}, "terms.forbidden": {"terms": 3, "old": 1}})
    assert dict(config.params) == {"terms.forbidden": {}}


def test_normalize_params_accepts_the_documented_shape() -> None:
    params = {
        "terms.forbidden": {"terms": [" ASAP ", "impacter"]},
        "severities": {"media.alt_text": "warn"},
        "disabled": ["terms.forbidden"],
    }
    assert normalize_params(params) == {
        "terms.forbidden": {"terms": ["ASAP", "impacter"]},
        "severities": {"media.alt_text": "warn"},
        "disabled": ["terms.forbidden"],
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([], "must be an object"),
        ({"terms.forbiden": {}}, "Unknown rule code “terms.forbiden”"),
        ({"terms.forbidden": ["ASAP"]}, "parameters of “terms.forbidden” must be an object"),
        ({"terms.forbidden": {"words": []}}, "has no parameter “words”"),
        ({"terms.forbidden": {"terms": "ASAP"}}, "expected a list of texts"),
        ({"terms.forbidden": {"terms": ["ok", 3]}}, "expected a list of texts"),
        ({"terms.forbidden": {"terms": [" "]}}, "empty texts are not allowed"),
        ({"severities": {"media.alt_text": "fatal"}}, "must be block or warn"),
        ({"severities": {"len.bluesky": "warn"}}, "cannot change its severity"),
        ({"severities": ["warn"]}, "“severities” must be an object"),
        ({"disabled": ["len.mastodon"]}, "cannot disable it"),
        ({"disabled": "terms.forbidden"}, "“disabled” must be a list"),
        ({"disabled": [["x"]]}, "Unknown rule code"),
    ],
)
def test_normalize_params_refuses_with_a_clear_message(params: object, expected: str) -> None:
    with pytest.raises(CharterParamsError) as caught:
        normalize_params(params)
    assert any(expected in message for message in caught.value.messages)


def test_normalize_params_reports_every_problem() -> None:
    with pytest.raises(CharterParamsError) as caught:
        normalize_params({"nope": {}, "disabled": ["len.mastodon"]})
    assert len(caught.value.messages) == 2


def test_counters_one_per_rendition() -> None:
    snapshot = post("", mastodon("https://example.com/long/path", byline="^JD"), bluesky("é"))
    assert counters(snapshot) == [
        Counter(1, "mastodon", 23 + 2 + 3, 500, "characters", False),
        Counter(2, "bluesky", 1, 300, "graphemes", False, bytes_used=2, bytes_limit=3000),
    ]


def test_counters_bluesky_over_on_bytes_alone() -> None:
    (counter,) = counters(post("", bluesky(FAMILY * 121)))
    assert (counter.used, counter.over, counter.bytes_used) == (121, True, 3025)


def test_counters_mastodon_over_the_instance_limit() -> None:
    (counter,) = counters(post("", mastodon("x" * 101, max_characters=100)))
    assert (counter.over, counter.remaining) == (True, -1)


def test_rules_registry_codes() -> None:
    assert list(RULES) == [
        "len.mastodon",
        "len.bluesky",
        "media.count",
        "media.alt_length",
        "media.alt_text",
        "gov.account_active",
        "gov.byline",
        "embargo.later_than_schedule",
        "neutrality.electoral_silence",
        "neutrality.election_window",
        "neutrality.partisan",
        "neutrality.bilan",
        "neutrality.vote_call",
        "terms.forbidden",
        "confidential.markings",
        "text.invisible_characters",
        "pii.email",
        "pii.phone",
        "pii.iban",
        "pii.nir",
        "pii.address",
        "lang.french_required",
        "lang.tag",
        "lang.anglicisms",
        "a11y.alt_quality",
        "a11y.hashtag_case",
        "a11y.hashtags",
        "a11y.emoji",
        "a11y.fake_bold",
        "a11y.caps",
        "a11y.repeated_punctuation",
        "a11y.sentence_length",
        "a11y.link_wording",
        "a11y.acronyms",
        "links.count",
        "links.shortener",
        "links.bluesky_card",
        "links.reachable",
        "gov.figures_source",
    ]


def test_finding_is_plain_data() -> None:
    finding = Finding("x", Severity.WARN, "m", account_id=None, span=(1, 2))
    assert (finding.severity == "warn", finding.span) == (True, (1, 2))

"""What a charter version says rule by rule, and the difference between two versions."""

from __future__ import annotations

from charter.rules import Severity
from charter.version_diff import diff_versions, rule_states


def _state(params: object, code: str) -> object:
    return next(s for s in rule_states(params) if s.code == code)


def test_rule_states_read_a_version_as_the_engine_does() -> None:
    params = {
        "neutrality.partisan": {"terms": ["Parti X"]},
        "severities": {"a11y.sentence_length": "block"},
        "disabled": ["a11y.emoji"],
    }
    states = {s.code: s for s in rule_states(params)}
    assert not states["a11y.emoji"].enabled
    assert states["a11y.sentence_length"].severity is Severity.BLOCK
    assert list(states["neutrality.partisan"].params["terms"]) == ["Parti X"]
    # Untouched rules: on, at their own severity, with their defaults.
    assert states["media.alt_text"].enabled
    assert states["media.alt_text"].severity is Severity.BLOCK


def test_diff_versions_says_what_turned_on_off_and_changed_severity() -> None:
    old = {"disabled": ["a11y.emoji"], "severities": {"media.alt_text": "warn"}}
    new = {"disabled": ["links.count"]}
    changes = {c.code: c for c in diff_versions(old, new)}
    assert set(changes) == {"a11y.emoji", "links.count", "media.alt_text"}
    assert changes["a11y.emoji"].turned_on and not changes["a11y.emoji"].turned_off
    assert changes["links.count"].turned_off
    alt = changes["media.alt_text"]
    assert alt.severity_changed
    assert (alt.before.severity, alt.after.severity) == (Severity.WARN, Severity.BLOCK)


def test_diff_versions_lists_words_added_and_removed() -> None:
    old = {"terms.forbidden": {"terms": ["ASAP", "impacter"]}}
    new = {"terms.forbidden": {"terms": ["impacter", "disruptif"]}}
    (change,) = diff_versions(old, new)
    (words,) = change.params
    assert words.is_list
    assert (words.added, words.removed) == (("disruptif",), ("ASAP",))
    assert not change.turned_on and not change.turned_off and not change.severity_changed


def test_diff_versions_reports_a_value_against_its_default() -> None:
    (change,) = diff_versions({}, {"links.count": {"max": 5}})
    (value,) = change.params
    assert (value.name, value.after, value.is_list) == ("max", 5, False)
    assert value.before != 5


def test_diff_versions_of_equal_versions_is_empty() -> None:
    params = {"terms.forbidden": {"terms": ["ASAP"]}, "disabled": ["a11y.emoji"]}
    assert diff_versions(params, dict(params)) == []
    # A parameter written out at its default says the same as leaving it out.
    assert diff_versions({}, {"severities": {"media.alt_text": "block"}}) == []

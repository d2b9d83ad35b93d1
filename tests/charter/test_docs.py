from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from charter.rules import RULES, Rule

DOC = Path(__file__).resolve().parents[2] / "docs" / "charter-rules.md"


EXAMPLES = [(rule, i) for rule in RULES.values() for i in range(len(rule.examples))]


@pytest.mark.parametrize(
    ("rule", "index"), EXAMPLES, ids=[f"{rule.code}-{i}" for rule, i in EXAMPLES]
)
def test_rule_example_behaves_as_documented(rule: Rule, index: int) -> None:
    example = rule.examples[index]
    findings = rule.run(example.snapshot, example.params)
    assert (findings == ()) is example.passes


def test_rule_has_a_passing_and_a_failing_example() -> None:
    for rule in RULES.values():
        assert {e.passes for e in rule.examples} == {True, False}, rule.code


def test_charter_rules_doc_matches_the_committed_reference() -> None:
    out = StringIO()
    call_command("charter_rules_doc", stdout=out)
    assert out.getvalue() == DOC.read_text(encoding="utf-8"), (
        "docs/charter-rules.md is stale: run "
        "`python manage.py charter_rules_doc > docs/charter-rules.md`"
    )

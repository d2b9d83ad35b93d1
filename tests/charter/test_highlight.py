from __future__ import annotations

from charter.highlight import Run, highlight
from charter.rules.base import Finding, Severity

B, W = Severity.BLOCK, Severity.WARN


def _f(span: tuple[int, int] | None, severity: Severity = W, message: str = "m") -> Finding:
    return Finding(rule="r", severity=severity, message=message, span=span)


def test_highlight_without_spans_is_the_plain_text() -> None:
    assert highlight("Bonjour", [_f(None)]) == [Run("Bonjour")]


def test_highlight_marks_exactly_the_span() -> None:
    runs = highlight("Écrivez à jean@exemple.fr demain", [_f((10, 25), B, "courriel")])
    assert runs == [
        Run("Écrivez à "),
        Run("jean@exemple.fr", "block", ("courriel",)),
        Run(" demain"),
    ]


def test_highlight_overlap_takes_the_most_serious_and_keeps_both_messages() -> None:
    runs = highlight("abcdef", [_f((0, 4), W, "warn"), _f((2, 6), B, "block")])
    assert runs == [
        Run("ab", "warn", ("warn",)),
        Run("cd", "block", ("warn", "block")),
        Run("ef", "block", ("block",)),
    ]


def test_highlight_clamps_spans_beyond_the_text() -> None:
    assert highlight("abc", [_f((1, 99))]) == [Run("a"), Run("bc", "warn", ("m",))]


def test_highlight_joins_runs_back_into_the_text() -> None:
    text = "Un texte 🇫🇷 avec é\u0301 et des spans"
    runs = highlight(text, [_f((3, 8)), _f((9, 11), B), _f((5, 15))])
    assert "".join(r.text for r in runs) == text


def test_highlight_empty_text() -> None:
    assert highlight("", [_f((0, 3))]) == []

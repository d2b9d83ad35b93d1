from __future__ import annotations

from charter.rules import RULES, Severity
from tests.charter.builders import mastodon, post

TERMS = RULES["terms.forbidden"]


def _hits(text: str, *terms: str) -> list[tuple[int, int]]:
    findings = TERMS.run(post(text, mastodon(text)), {"terms": list(terms)})
    return [f.span for f in findings if f.span is not None]


def test_terms_forbidden_found_with_its_span() -> None:
    text = "Répondez ASAP au questionnaire."
    (finding,) = TERMS.run(post(text, mastodon(text)), {"terms": ["ASAP"]})
    assert finding.severity is Severity.BLOCK
    assert finding.span == (9, 13)
    assert text[9:13] == "ASAP"
    assert "ASAP" in finding.message


def test_terms_forbidden_found_whatever_the_case() -> None:
    assert _hits("Répondez asap.", "ASAP") == [(9, 13)]


def test_terms_forbidden_not_found_inside_other_words() -> None:
    assert _hits("Les impacteurs et l'impactant impacte.", "impact", "impacter") == []


def test_terms_forbidden_found_whatever_the_accents() -> None:
    assert _hits("Un cafe, un CAFÉ", "café") == [(3, 7), (12, 16)]


def test_terms_forbidden_decomposed_accent_inside_the_span() -> None:
    text = "Un cafe\u0301 noir"
    assert _hits(text, "café") == [(3, 8)]


def test_terms_forbidden_phrase_across_spaces_and_line_breaks() -> None:
    text = "Le premier\u00a0\n ministre"
    assert _hits(text, "premier ministre") == [(3, len(text))]


def test_terms_forbidden_longest_phrase_wins() -> None:
    (finding,) = TERMS.run(
        post("Le premier ministre", mastodon("x")),
        {"terms": ["ministre", "premier ministre"]},
    )
    assert finding.span == (3, 19)
    assert "premier ministre" in finding.message


def test_terms_forbidden_typographic_apostrophe_matches_straight() -> None:
    assert _hits("Aujourd\u2019hui", "aujourd'hui") == [(0, 11)]


def test_terms_forbidden_each_hit_reported() -> None:
    assert _hits("asap, ASAP et Asap", "asap") == [(0, 4), (6, 10), (14, 18)]


def test_terms_forbidden_expands_ligatures_and_keeps_spans_in_the_original() -> None:
    assert _hits("Un ﬁchier", "fichier") == [(3, 9)]


def test_terms_forbidden_regex_characters_are_literal() -> None:
    assert _hits("C++ et C#", "c++") == [(0, 3)]
    assert _hits("a.b", "a*b") == []


def test_terms_forbidden_no_terms_no_finding() -> None:
    text = "Répondez ASAP."
    assert TERMS.run(post(text, mastodon(text))) == ()


def test_terms_forbidden_checks_the_post_text_not_the_byline() -> None:
    text = "Bonjour"
    assert TERMS.run(post(text, mastodon(text, byline="ASAP")), {"terms": ["ASAP"]}) == ()

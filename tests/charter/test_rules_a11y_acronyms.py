from __future__ import annotations

import dataclasses

import pytest

from charter.rules import RULES, Severity
from tests.charter.builders import mastodon, post

ACRONYMS = RULES["a11y.acronyms"]


def _found(text: str, **params: list[str]) -> list[str]:
    return [
        text[slice(*f.span or (0, 0))] for f in ACRONYMS.run(post(text, mastodon(text)), params)
    ]


def test_acronyms_unexpanded_warns_with_span() -> None:
    text = "Prenez rendez-vous avec la CPAM avant le 12 mars."
    (finding,) = ACRONYMS.run(post(text, mastodon(text)))
    assert finding.severity is Severity.WARN
    assert finding.span == (27, 31)
    assert "CPAM" in finding.message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("La Caisse d'allocations familiales (CAF) vous écrit. La CAF paie.", []),
        ("La CAF (Caisse d'allocations familiales) vous écrit.", []),
        ("L'Agence X (AX) et AX", []),
        ("La CAF paie. La Caisse d'allocations familiales (CAF) aussi.", ["CAF"]),  # first use
        ("La CAF et la CPAM, la CAF encore", ["CAF", "CPAM"]),  # once per acronym
        ("l'ANTS (titres)", ["ANTS"]),  # one word in brackets is not an expansion
        ("Louis XIV, le XXIe siècle, la IIIe République et le IV", []),
        ("La DGFiP et les PMEs", []),  # not 2-6 capitals standing alone
        ("Le CNRS-Inserm", ["CNRS"]),
        ("UN ACCUEIL FERMÉ LE 14", []),  # a sentence in capitals: a11y.caps
        ("#CAF https://exemple.fr/CPAM @ANTS", []),
        ("À la SNCF, rien à signaler. OK ?", []),  # common knowledge
        ("Le SAMU", ["SAMU"]),
        ("ABCDEFG", []),  # seven capitals: a word, not an acronym
    ],
)
def test_acronyms_first_use_must_be_spelled_out(text: str, found: list[str]) -> None:
    assert _found(text) == found


def test_acronyms_glossary() -> None:
    assert _found("La CAF et la CPAM", glossary=["caf"]) == ["CPAM"]


def test_acronyms_the_units_own_code_passes() -> None:
    text = "La DGX vous informe."
    snapshot = dataclasses.replace(post(text, mastodon(text)), author_unit_code="DGX")
    assert ACRONYMS.run(snapshot) == ()


@pytest.mark.parametrize(
    "text",
    [
        "URGENT : la route de Lyon est coupée.",
        "ALERTE canicule dans le département.",
        "INFO travaux : la ligne 2 ferme à 22 h.",
        "RAPPEL : inscriptions avant vendredi.",
        "NOUVEAU : le guichet ouvre le samedi.",
        "Concert ANNULÉ ce soir.",
        "Entrée GRATUITE samedi.",
    ],
)
def test_acronyms_emphasis_words_in_capitals_are_not_acronyms(text: str) -> None:
    assert _found(text) == []


def test_acronyms_emphasis_word_does_not_hide_a_real_acronym() -> None:
    assert _found("URGENT : la CPAM ferme à midi.") == ["CPAM"]

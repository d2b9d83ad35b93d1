from __future__ import annotations

import pytest

from charter.engine import CharterParamsError, normalize_params
from charter.rules import RULES, Severity
from tests.charter.builders import mastodon, post

MARKINGS = RULES["confidential.markings"]


def _found(text: str, **params: object) -> list[str]:
    findings = MARKINGS.run(post(text, mastodon(text)), params)
    return [text[f.span[0] : f.span[1]] for f in findings if f.span is not None]


def test_confidential_markings_blocks_with_the_span() -> None:
    text = "Note : diffusion restreinte. Le dispositif sera annoncé lundi."
    (finding,) = MARKINGS.run(post(text, mastodon(text)))
    assert finding.severity is Severity.BLOCK
    assert finding.span == (7, 27)
    assert "diffusion restreinte" in finding.message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("DIFFUSION RESTREINTE\nLe texte.", ["DIFFUSION RESTREINTE"]),
        ("Diffusion  limitée aux services.", ["Diffusion  limitée"]),
        ("Confidentiel : le ministre viendra.", ["Confidentiel"]),
        ("[Confidentiel] Le ministre viendra.", ["Confidentiel"]),
        ("Le texte.\n— CONFIDENTIEL —", ["CONFIDENTIEL"]),
        ("Un accompagnement GRATUIT ET CONFIDENTIEL.", ["CONFIDENTIEL"]),
        ("Document de travail, ne pas diffuser.", ["ne pas diffuser"]),
        ("NE PAS DIFFUSER avant lundi", ["NE PAS DIFFUSER"]),
        ("Très secret défense :\nle plan.", ["Très secret défense"]),
        ("Usage interne\nLe plan.", ["Usage interne"]),
    ],
)
def test_confidential_markings_found(text: str, found: list[str]) -> None:
    assert _found(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Un accompagnement gratuit et confidentiel, sur rendez-vous.",
        "Vos données restent confidentielles.",
        "Merci de ne pas diffuser de rumeurs.",
        "Des archives classées secret défense ouvertes au public.",
        "Un médicament à usage interne.",
        "Bonjour à toutes et à tous.",
    ],
)
def test_confidential_markings_ordinary_words_pass(text: str) -> None:
    assert _found(text) == []


def test_confidential_markings_extra_markings_found_anywhere() -> None:
    assert _found("Version usage strictement interne", extra=["Usage strictement interne"]) == [
        "usage strictement interne"
    ]


def test_confidential_markings_cannot_be_disabled_or_lowered() -> None:
    with pytest.raises(CharterParamsError):
        normalize_params({"disabled": ["confidential.markings"]})
    with pytest.raises(CharterParamsError):
        normalize_params({"severities": {"confidential.markings": "warn"}})

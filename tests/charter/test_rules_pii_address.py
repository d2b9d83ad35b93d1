from __future__ import annotations

import pytest

from charter.engine import CharterParamsError, normalize_params
from charter.rules import RULES, Severity
from charter.rules.pii_address import find_addresses
from tests.charter.builders import mastodon, post

ADDRESS = RULES["pii.address"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Mme Martin, 12 rue de la Paix, 75002 Paris !", ["12 rue de la Paix, 75002 Paris"]),
        ("au 3 bis bd Voltaire", ["3 bis bd Voltaire"]),
        ("12 avenue des Champs-Élysées", ["12 avenue des Champs-Élysées"]),
        ("1 place de l'Hôtel-de-Ville", ["1 place de l'Hôtel-de-Ville"]),
        ("5 Rue Lafayette 69003 Lyon", ["5 Rue Lafayette 69003 Lyon"]),
        ("8 allée des Tilleuls, 33 000 Bordeaux", ["8 allée des Tilleuls, 33 000 Bordeaux"]),
        ("Écrivez : BP 123, 75007 Paris Cedex 07", ["BP 123, 75007 Paris Cedex 07"]),
        ("CS 70001", ["CS 70001"]),
        ("75700 PARIS CEDEX 07", ["75700 PARIS CEDEX 07"]),
        ("Code postal 75007, le 12/03/2026", []),
        ("2 cours de yoga et 3 places de parking", []),
        ("10 rue des lilas", []),  # no capitalised name and no postcode: not recognised
        ("https://exemple.fr/12-rue-de-la-Paix", []),
        ("Une aide de 1 500 € au 1er mars", []),
    ],
)
def test_pii_address_recognised(text: str, found: list[str]) -> None:
    assert [text[s:e] for s, e in find_addresses(text)] == found


def test_pii_address_blocks_with_span_and_never_repeats_it() -> None:
    text = "Félicitations à Mme Martin, 12 rue de la Paix, 75002 Paris !"
    (finding,) = ADDRESS.run(post(text, mastodon(text)))
    assert finding.severity is Severity.BLOCK
    assert finding.span == (28, 58)
    assert "Paix" not in finding.message
    assert ADDRESS.waivable is False


@pytest.mark.parametrize(
    "text",
    [
        "Accueil au 20 avenue de Ségur, 75007 Paris.",
        "Accueil au 20 avenue de Ségur.",  # shorter than the listed form
        "Accueil au 20, Avenue de SÉGUR 75007 PARIS CEDEX 07",  # longer, other case and accents
    ],
)
def test_pii_address_own_address_allowed(text: str) -> None:
    params = {"allowed": ["20 avenue de Ségur, 75007 Paris"]}
    assert ADDRESS.run(post(text, mastodon(text)), params) == ()


@pytest.mark.parametrize(
    "text",
    ["Chez M. Durand, 22 avenue de Ségur, 75007 Paris.", "Chez M. Durand, 120 avenue de Ségur."],
)
def test_pii_address_allowed_does_not_cover_another_number(text: str) -> None:
    params = {"allowed": ["20 avenue de Ségur"]}
    assert ADDRESS.run(post(text, mastodon(text)), params)


def test_pii_address_allowed_must_have_a_number() -> None:
    with pytest.raises(CharterParamsError, match="no number or postcode"):
        normalize_params({"pii.address": {"allowed": ["Mairie de Paris"]}})

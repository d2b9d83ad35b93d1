from __future__ import annotations

import pytest

from charter.rules import RULES, Severity
from tests.charter.builders import mastodon, post

SHORTENER = RULES["links.shortener"]
PUNCTUATION = RULES["a11y.repeated_punctuation"]


def _spans(rule_code: str, text: str) -> list[str]:
    findings = RULES[rule_code].run(post(text, mastodon(text)))
    return [text[slice(*f.span or (0, 0))] for f in findings]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Inscriptions : https://bit.ly/3xYzAbc", "https://bit.ly/3xYzAbc"),
        ("Voir http://t.co/abc123 !", "http://t.co/abc123"),
        ("Lien https://tinyurl.com/y7k2", "https://tinyurl.com/y7k2"),
        ("Lien https://goo.gl/maps/xyz", "https://goo.gl/maps/xyz"),
        ("Lien https://ow.ly/abc https://is.gd/x", "https://ow.ly/abc"),
        ("Lien https://buff.ly/3abc", "https://buff.ly/3abc"),
        ("Lien https://urlr.me/AbC", "https://urlr.me/AbC"),
        ("Lien https://www.bit.ly/abc", "https://www.bit.ly/abc"),
        ("Sans protocole : bit.ly/3xYz", "bit.ly/3xYz"),
    ],
)
def test_links_shortener_flagged(text: str, found: str) -> None:
    assert _spans("links.shortener", text)[0] == found


@pytest.mark.parametrize(
    "text",
    [
        "Inscriptions : https://www.service-public.fr/particuliers/vosdroits/F1234",
        "Voir https://www.legifrance.gouv.fr/codes/",
        "Écrire à contact@bit.ly.example.fr",  # not a shortened link
        "Le site https://habit.ly.example.org/page",  # another domain that ends alike
        "Le fichier resultat.co/2 n'est pas une adresse ici",
    ],
)
def test_links_shortener_full_addresses_pass(text: str) -> None:
    assert _spans("links.shortener", text) == []


def test_links_shortener_warns() -> None:
    text = "https://bit.ly/abc"
    (finding,) = SHORTENER.run(post(text, mastodon(text)))
    assert finding.severity is Severity.WARN
    assert "hides where it leads" in finding.message


def test_links_shortener_charter_adds_domains() -> None:
    text = "Voir https://go.ville.example/x"
    findings = SHORTENER.run(post(text, mastodon(text)), {"domains": ["go.ville.example"]})
    assert len(findings) == 1


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Les inscriptions sont ouvertes !!!", ["!!!"]),
        ("Vous venez ???", ["???"]),
        ("Incroyable !! Vraiment ?!?", ["!!", "?!?"]),
        ("Quoi !?!", ["!?!"]),
    ],
)
def test_repeated_punctuation_flagged(text: str, found: list[str]) -> None:
    assert _spans("a11y.repeated_punctuation", text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Les inscriptions sont ouvertes !",
        "Vous venez ? Oui !",
        "Vraiment ?!",
        "Voir https://example.org/?a=1&b=2??x",  # inside a link
    ],
)
def test_repeated_punctuation_single_marks_pass(text: str) -> None:
    assert _spans("a11y.repeated_punctuation", text) == []


def test_repeated_punctuation_warns() -> None:
    text = "Ouvert !!!"
    (finding,) = PUNCTUATION.run(post(text, mastodon(text)))
    assert finding.severity is Severity.WARN

"""The record-promotion vocabulary (Code électoral L52-1) and calls to vote for someone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import pytest

from charter.elections import PARIS
from charter.rules import RULES, Severity
from charter.snapshot import ElectionWindowSnapshot, PostSnapshot
from charter.waivers import allowed_categories, referent_only
from tests.charter.builders import mastodon

BILAN = RULES["neutrality.bilan"]
VOTE_CALL = RULES["neutrality.vote_call"]

MUNICIPALES = ElectionWindowSnapshot(
    name="Municipales 2026",
    kind="municipal",
    window_start=date(2025, 9, 1),
    vote_dates=(date(2026, 3, 15), date(2026, 3, 22)),
)
IN_WINDOW = datetime(2026, 1, 12, 12, 0, tzinfo=PARIS)
AFTER = datetime(2026, 4, 2, 12, 0, tzinfo=PARIS)


def _post(text: str, when: datetime = IN_WINDOW) -> PostSnapshot:
    return PostSnapshot(
        text=text,
        language="fr",
        renditions=(mastodon(text),),
        scheduled_for=when,
        election_windows=(MUNICIPALES,),
    )


def _found(rule_text: str, params: Mapping[str, object] | None = None) -> list[str]:
    findings = BILAN.run(_post(rule_text), params)
    return [rule_text[slice(*f.span or (0, 0))] for f in findings]


# --- neutrality.bilan --------------------------------------------------------------------------


def test_bilan_blocks_by_default_in_the_pre_electoral_period() -> None:
    (finding,) = BILAN.run(_post("Nouvelle crèche : nous avons tenu nos promesses !"))
    assert finding.severity is Severity.BLOCK
    assert BILAN.default_severity is Severity.BLOCK
    assert "L52-1" in finding.message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Nouvelle crèche : promesse tenue !", "promesse tenue"),
        ("Trois promesses tenues cette année.", "promesses tenues"),
        ("Engagement tenu pour la piscine.", "Engagement tenu"),
        ("Nos engagements tenus : la piscine.", "engagements tenus"),
        ("Promesses respectées !", "Promesses respectées"),
        ("Le bilan de l'année.", "bilan"),
        ("Nos bilans sont en ligne.", "bilans"),
        ("Notre bilan de mandat.", "bilan de mandat"),
        ("Bilan de mi-mandat : 12 écoles.", "Bilan de mi-mandat"),
        ("Grâce à l'action du préfet, la route rouvre.", "Grâce à l'action du"),
        ("Grâce à l\u2019action de la maire, la piscine rouvre.", "Grâce à l\u2019action de la"),
        ("Grâce à l'action des services de l'État.", "Grâce à l'action des"),
        ("GRÂCE À NOTRE ACTION, la piscine rouvre.", "GRÂCE À NOTRE ACTION"),
        ("Grâce à notre engagement, la ligne ouvre.", "Grâce à notre engagement"),
        ("Grâce à la politique de la ville.", "Grâce à la politique de la"),
        ("Grâce au maire, la crèche ouvre.", "Grâce au maire"),
        ("Grâce à l'équipe municipale !", "Grâce à l'équipe municipale"),
        ("Nous avons réalisé 12 km de pistes cyclables.", "Nous avons réalisé"),
        ("Nous l'avions promis, nous l'avons fait.", "Nous l'avions promis"),
        ("Découvrez nos réalisations.", "nos réalisations"),
        ("Les réalisations du mandat.", "réalisations du mandat"),
        ("Mission accomplie pour la médiathèque !", "Mission accomplie"),
        ("Pari tenu : le tram roule.", "Pari tenu"),
        ("Chose promise, chose due.", "Chose promise, chose due"),
        ("Depuis notre élection, 3 écoles.", "Depuis notre élection"),
    ],
)
def test_bilan_finds_inflected_and_phrase_variants(text: str, found: str) -> None:
    assert _found(text)[0] == found


@pytest.mark.parametrize(
    "text",
    [
        "Un bilanz, une bilanière.",  # not the word
        "Le bilan carbone des services est publié.",
        "Faites un bilan de santé gratuit.",
        "Bilan humain de l'accident : deux blessés.",
        "Grâce à l'action des secours, l'incendie est maîtrisé.",
        "Grâce à votre mobilisation, 300 dons de sang.",  # thanks the public
        "Grâce à ce service, faites vos démarches en ligne.",
        "Les réalisations des élèves sont exposées.",
        "La réalisation des travaux commence lundi.",
        "Nous avons reçu 300 demandes.",
        "La promesse d'embauche est signée.",
        "Le programme est tenu secret.",
        "Détails : https://ville.example/bilan-de-mandat",  # inside a link
    ],
)
def test_bilan_near_misses_pass(text: str) -> None:
    assert _found(text) == []


def test_bilan_outside_the_pre_electoral_period_passes() -> None:
    assert BILAN.run(_post("Bilan de mandat : promesse tenue !", when=AFTER)) == ()


def test_bilan_charter_adds_phrases_and_exceptions() -> None:
    text = "La ville avance. Le bilan qualité de l'eau."
    assert _found(text) == ["bilan"]
    params = {"terms": ["la ville avance"], "exceptions": ["bilan qualité"]}
    assert _found(text, params) == ["La ville avance"]


def test_bilan_overlapping_phrases_reported_once() -> None:
    assert _found("Nous avons tenu nos promesses : promesses tenues.") == [
        "Nous avons tenu nos promesses",
        "promesses tenues",
    ]


def test_bilan_waivable_only_by_the_electoral_referent() -> None:
    assert BILAN.waivable
    assert referent_only("neutrality.bilan")
    assert not referent_only("neutrality.partisan")
    assert allowed_categories("neutrality.bilan")


# --- neutrality.vote_call ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Votez pour nous !", "Votez pour nous"),
        ("votez pour notre liste dimanche", "votez pour notre liste"),
        ("Votez massivement pour eux.", "Votez massivement pour eux"),
        ("Votez pour le candidat de la majorité.", "Votez pour le candidat"),
        ("Donnez-nous vos voix.", "Donnez-nous vos voix"),
        ("Réélisez-le !", "Réélisez-le"),
        ("Vote for us!", "Vote for us"),
    ],
)
def test_vote_call_found(text: str, found: str) -> None:
    (finding,) = VOTE_CALL.run(_post(text, when=AFTER))
    assert text[slice(*finding.span or (0, 0))] == found


@pytest.mark.parametrize(
    "text",
    [
        "Dimanche, votez ! Les bureaux ouvrent à 8 h.",
        "Votez le 15 mars, pensez à la procuration.",
        "Budget participatif : votez pour vos projets préférés.",
        "Votez pour votre monument préféré.",
        "Élisez la plus belle vitrine de Noël.",
        "Le conseil a voté pour la motion.",
    ],
)
def test_vote_call_near_misses_pass(text: str) -> None:
    assert VOTE_CALL.run(_post(text, when=AFTER)) == ()


def test_vote_call_outside_any_election_warns() -> None:
    text = "Votez pour nous !"
    no_election = PostSnapshot(text=text, language="fr", renditions=(mastodon(text),))
    (finding,) = VOTE_CALL.run(no_election)
    assert finding.severity is Severity.WARN


def test_vote_call_in_the_pre_electoral_period_blocks() -> None:
    (finding,) = VOTE_CALL.run(_post("Votez pour nous !"))
    assert finding.severity is Severity.BLOCK
    assert "Municipales 2026" in finding.message

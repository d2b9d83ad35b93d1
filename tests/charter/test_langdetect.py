"""The offline detector on real sentences (administrations' posts and public-service pages)."""

from __future__ import annotations

import pytest

from charter.rules.langdetect import detect

SENTENCES = [
    (
        "fr",
        "Bonne nouvelle pour les usagers : le guichet unique ouvre ses portes du lundi "
        "au vendredi.",
    ),
    ("fr", "Le 12/03/2026 à 14 h, l'aide de 1 500 € sera versée aux familles concernées."),
    (
        "fr",
        "Vous pouvez désormais faire votre demande de carte d'identité en ligne, sans "
        "vous déplacer.",
    ),
    (
        "fr",
        "La préfecture rappelle qu'il est interdit de faire du feu dans les massifs forestiers.",
    ),
    ("en", "The prefecture opens a new one-stop shop for residents on Monday."),
    ("en", "You can now apply for your identity card online, without having to travel."),
    ("en", "Good news for residents: the library is open on Sundays from next week."),
    ("de", "Ab Montag öffnet das Bürgeramt eine neue Anlaufstelle für alle Einwohner."),
    ("de", "Sie können Ihren Personalausweis jetzt online beantragen, ohne zum Amt zu gehen."),
    (
        "es",
        "A partir del lunes, la prefectura abre una nueva ventanilla única para los ciudadanos.",
    ),
    ("es", "Ahora puede solicitar su documento de identidad en línea, sin desplazarse."),
    ("it", "Da lunedì la prefettura apre un nuovo sportello unico per tutti i cittadini."),
    ("it", "Ora è possibile richiedere la carta d'identità online, senza spostarsi."),
]


@pytest.mark.parametrize(("language", "text"), SENTENCES, ids=[t[:30] for _l, t in SENTENCES])
def test_detect_real_sentences(language: str, text: str) -> None:
    found = detect(text)
    assert found is not None
    assert found.language == language


@pytest.mark.parametrize(
    "text",
    [
        "",
        "OK",
        "CAF CPAM 2026",
        "https://www.service-public.fr #ServicePublic @dgx@social.example",
        "Merci !",
    ],
)
def test_detect_too_few_clues_is_undecided(text: str) -> None:
    assert detect(text) is None


def test_detect_ignores_links_mentions_and_hashtags() -> None:
    text = (
        "Retrouvez https://example.org/the-news-of-the-day-for-you-and-all "
        "#TheBestOfTheWeek ici, dans la rubrique."
    )
    found = detect(text)
    assert found is not None
    assert found.language == "fr"


def test_detect_mixed_text_without_a_clear_lead_is_undecided() -> None:
    assert (
        detect("The library et la médiathèque, with the town and the préfecture de la ville")
        is None
    )


def test_detect_min_clues() -> None:
    assert detect("Rappel : la médiathèque ferme à midi.", min_clues=1) is not None
    assert detect("Rappel : la médiathèque ferme à midi.", min_clues=5) is None


def test_detect_counts_elisions_as_french() -> None:
    found = detect("L'usager qu'on reçoit, d'abord l'accueil")
    assert found is not None
    assert found.language == "fr"

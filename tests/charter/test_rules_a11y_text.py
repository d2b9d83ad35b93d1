from __future__ import annotations

import pytest

from charter.rules import RULES
from tests.charter.builders import mastodon, post

BOLD_NOUVEAU = "\U0001d40d\U0001d428\U0001d42e\U0001d42f\U0001d41e\U0001d41a\U0001d42e"
ITALIC_HELLO = "\U0001d43b\U0001d452\u210e\U0001d45c"  # H e (h = U+210E) o


def _run(code: str, text: str, **params: object) -> list[tuple[tuple[int, int] | None, str]]:
    return [(f.span, f.message) for f in RULES[code].run(post(text, mastodon(text)), params)]


def _spans(code: str, text: str, **params: object) -> list[tuple[int, int] | None]:
    return [span for span, _message in _run(code, text, **params)]


# --- a11y.fake_bold ----------------------------------------------------------------------------


def test_a11y_fake_bold_run_reported_with_the_plain_text() -> None:
    text = f"{BOLD_NOUVEAU} {BOLD_NOUVEAU} : le guichet ouvre."
    ((span, message),) = _run("a11y.fake_bold", text)
    assert span == (0, 15)
    assert "“Nouveau Nouveau”" in message


def test_a11y_fake_bold_letterlike_hole_inside_a_run() -> None:
    assert _spans("a11y.fake_bold", f"Dire {ITALIC_HELLO}.") == [(5, 9)]


def test_a11y_fake_bold_fullwidth_letters() -> None:
    text = "\uff22\uff4f\uff4e\uff4a\uff4f\uff55\uff52 à tous"  # fullwidth "Bonjour"
    ((span, message),) = _run("a11y.fake_bold", text)
    assert span == (0, 7)
    assert "“Bonjour”" in message


@pytest.mark.parametrize(
    "text", ["Bonjour à toutes et à tous.", "\u211d est un corps.", "２０２６年"]
)
def test_a11y_fake_bold_ordinary_text_passes(text: str) -> None:
    assert _spans("a11y.fake_bold", text) == []


# --- a11y.caps ---------------------------------------------------------------------------------


def test_a11y_caps_run_reported_with_the_span() -> None:
    text = "FERMETURE EXCEPTIONNELLE du guichet lundi."
    assert _spans("a11y.caps", text) == [(0, 24)]


@pytest.mark.parametrize(
    "text",
    [
        "La CAF et la CPAM vous accueillent.",
        "CAF CPAM URSSAF",
        "URGENT : la CAF ferme.",
        "Le XXIe siècle, Louis XIV.",
        "À Paris, A et B.",
        "#SERVICEPUBLIC https://EXAMPLE.FR/ABC @DGX",
    ],
)
def test_a11y_caps_acronyms_single_words_and_entities_pass(text: str) -> None:
    assert _spans("a11y.caps", text) == []


def test_a11y_caps_acronym_inside_a_shouted_run_is_part_of_it() -> None:
    assert _spans("a11y.caps", "RENDEZ-VOUS À LA CAF DEMAIN !") == [(0, 27)]


def test_a11y_caps_min_words_one_reports_a_single_word() -> None:
    assert _spans("a11y.caps", "URGENT : la CAF ferme.", min_words=1) == [(0, 6)]


def test_a11y_caps_charter_acronyms_replace_the_defaults() -> None:
    assert _spans("a11y.caps", "Le SGAR DRFIP", acronyms=["SGAR", "DRFIP"]) == []
    assert _spans("a11y.caps", "Le SGAR DRFIP") == [(3, 13)]


# --- a11y.sentence_length ----------------------------------------------------------------------

LONG = " ".join(["mot"] * 26) + "."


def test_a11y_sentence_length_long_sentence_reported_with_its_span() -> None:
    text = f"Court. {LONG} Fin."
    ((span, message),) = _run("a11y.sentence_length", text)
    assert span == (7, 7 + len(LONG))
    assert "26" in message and "25" in message


def test_a11y_sentence_length_limit_is_inclusive() -> None:
    assert _spans("a11y.sentence_length", " ".join(["mot"] * 25) + ".") == []


def test_a11y_sentence_length_line_break_ends_a_sentence() -> None:
    text = " ".join(["mot"] * 20) + "\n" + " ".join(["mot"] * 20)
    assert _spans("a11y.sentence_length", text) == []


def test_a11y_sentence_length_links_and_hashtags_are_not_words() -> None:
    text = " ".join(["mot"] * 24) + " https://www.service-public.fr/a/b/c #Un #Deux"
    assert _spans("a11y.sentence_length", text) == []


def test_a11y_sentence_length_decimal_point_does_not_end_a_sentence() -> None:
    text = "Le taux passe à 1.5 " + " ".join(["mot"] * 24) + "."
    assert len(_spans("a11y.sentence_length", text)) == 1


def test_a11y_sentence_length_easy_to_read_mode() -> None:
    text = " ".join(["mot"] * 16) + "."
    assert _spans("a11y.sentence_length", text) == []
    assert _spans("a11y.sentence_length", text, easy_to_read=True) == [(0, len(text))]


# --- a11y.link_wording -------------------------------------------------------------------------


def test_a11y_link_wording_cliquez_ici_reported() -> None:
    text = "Pour vous inscrire, Cliquez ICI : https://www.service-public.fr"
    ((span, message),) = _run("a11y.link_wording", text)
    assert span == (20, 31)
    assert "Cliquez ICI" in message


def test_a11y_link_wording_describing_the_destination_passes() -> None:
    assert _spans("a11y.link_wording", "Le formulaire : https://www.service-public.fr") == []


def test_a11y_link_wording_charter_phrases() -> None:
    assert _spans("a11y.link_wording", "Voir ici", phrases=["voir ici"]) == [(0, 8)]


# --- links.count -------------------------------------------------------------------------------


def test_links_count_over_the_limit_spans_the_excess_links() -> None:
    text = "https://a.fr https://b.fr https://c.fr https://d.fr"
    ((span, message),) = _run("links.count", text)
    assert span == (26, 51)
    assert message.startswith("4 links")


def test_links_count_within_the_limit_passes() -> None:
    assert _spans("links.count", "Infos https://a.fr et https://b.fr") == []
    assert _spans("links.count", "Infos https://a.fr", max=0) == [(6, 18)]

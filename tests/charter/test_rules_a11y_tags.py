from __future__ import annotations

import dataclasses

import pytest

from charter.rules import RULES, Severity
from charter.rules.a11y_tags import camel_case
from charter.snapshot import PostSnapshot, join_parts
from tests.charter.builders import mastodon, post


def _run(code: str, text: str, **params: object) -> list[tuple[tuple[int, int] | None, str]]:
    return [(f.span, f.message) for f in RULES[code].run(post(text, mastodon(text)), params)]


def _spans(code: str, text: str, **params: object) -> list[tuple[int, int] | None]:
    return [span for span, _message in _run(code, text, **params)]


# --- a11y.hashtag_case -------------------------------------------------------------------------


def test_a11y_hashtag_case_suggests_camel_case_with_the_span() -> None:
    text = "Découvrez le guichet #servicepublic"
    ((span, message),) = _run("a11y.hashtag_case", text)
    assert span == (21, 35)
    assert "#ServicePublic" in message
    assert RULES["a11y.hashtag_case"].default_severity is Severity.WARN


@pytest.mark.parametrize(
    ("tag", "fixed"),
    [
        ("servicepublic", "ServicePublic"),
        ("SERVICEPUBLIC", "ServicePublic"),
        ("fetedelamusique", "FeteDeLaMusique"),
        ("sécuritéroutière", "SécuritéRoutière"),
        ("journeesdupatrimoine", "JourneesDuPatrimoine"),
    ],
)
def test_a11y_camel_case(tag: str, fixed: str) -> None:
    assert camel_case(tag) == fixed


@pytest.mark.parametrize(
    "tag",
    ["ServicePublic", "emploi", "bonjour", "ondes", "mondes", "toulouse", "JO2024", "jo2024", "ue"],
)
def test_a11y_camel_case_leaves_single_words_and_unknown_ones(tag: str) -> None:
    assert camel_case(tag) is None


def test_a11y_hashtag_case_charter_words_extend_the_vocabulary() -> None:
    assert _spans("a11y.hashtag_case", "#dgxrecrute") == []
    assert _spans("a11y.hashtag_case", "#dgxrecrute", words=["DGX"]) == [(0, 11)]


def test_a11y_hashtag_case_ignores_anchors_in_links() -> None:
    assert _spans("a11y.hashtag_case", "https://www.example.fr/page#servicepublic") == []


# --- a11y.hashtags -----------------------------------------------------------------------------


def test_a11y_hashtags_at_the_end_pass() -> None:
    assert _spans("a11y.hashtags", "La semaine commence lundi. #Emploi #Jeunes") == []


def test_a11y_hashtags_links_and_mentions_may_follow() -> None:
    text = "Inscriptions lundi. #Emploi https://www.service-public.fr @dgx"
    assert _spans("a11y.hashtags", text) == []


def test_a11y_hashtags_inside_the_text_reported_each() -> None:
    text = "La semaine de l'#Emploi et des #Jeunes commence lundi. #Fin"
    assert _spans("a11y.hashtags", text) == [(16, 23), (31, 38)]


def test_a11y_hashtags_inside_allowed_when_at_end_is_off() -> None:
    assert _spans("a11y.hashtags", "Le #PLF2026 est là.", at_end=False) == []


def test_a11y_hashtags_too_many_one_finding_over_the_excess() -> None:
    text = "Texte. #Un #Deux #Trois #Quatre #Cinq"
    ((span, message),) = _run("a11y.hashtags", text)
    assert span == (24, 37)
    assert "5" in message and "3" in message


def test_a11y_hashtags_max_param() -> None:
    assert _spans("a11y.hashtags", "Texte. #Un #Deux", max=1) == [(11, 16)]


# --- a11y.emoji --------------------------------------------------------------------------------


def test_a11y_emoji_decorative_flag_passes() -> None:
    text = "Découvrez le guichet unique 🇫🇷 https://www.service-public.fr #ServicePublic"
    assert _spans("a11y.emoji", text) == []


def test_a11y_emoji_signal_reported_with_words_to_use() -> None:
    ((span, message),) = _run("a11y.emoji", "⚠️ Fermeture lundi")
    assert span == (0, 2)
    assert "Attention" in message


def test_a11y_emoji_signal_without_the_presentation_selector() -> None:
    assert _spans("a11y.emoji", "Rendez-vous 📅 12 mars ➡ https://a.fr") == [(12, 13), (22, 23)]


def test_a11y_emoji_repeat_reported_once_at_the_second() -> None:
    assert _spans("a11y.emoji", "Bravo 🎉🎉🎉") == [(7, 8)]


def test_a11y_emoji_too_many_counts_sequences_once() -> None:
    family = "👩\u200d👩\u200d👧\u200d👦"
    text = f"A {family} B 🇫🇷 C 👍🏽 D 🎉 E 🌍"
    ((span, message),) = _run("a11y.emoji", text)
    assert span == (text.index("🎉"), len(text))  # from the 4th to the 5th and last
    assert message.startswith("5 emoji")


def test_a11y_emoji_typographic_symbols_are_not_emoji() -> None:
    assert _spans("a11y.emoji", "© DGX ™ ® 2026", max=0) == []


def test_a11y_emoji_switches() -> None:
    text = "⚠️⚠️"
    assert _spans("a11y.emoji", text, no_repeats=False, no_signals=False) == []


def _thread(*parts: str) -> PostSnapshot:
    text = join_parts(parts)
    rendition = dataclasses.replace(mastodon(parts[0]), thread=tuple(parts[1:]))
    return PostSnapshot(text=text, language="fr", renditions=(rendition,))


def test_a11y_hashtags_at_the_end_of_a_thread_part_pass() -> None:
    snapshot = _thread("La semaine de l'emploi commence. #Emploi", "Inscriptions en ligne.")
    assert RULES["a11y.hashtags"].run(snapshot) == ()


def test_a11y_hashtags_inside_a_thread_part_still_reported() -> None:
    snapshot = _thread("Le salon de l'#Emploi ouvre.", "Inscriptions en ligne. #Jeunes")
    (finding,) = RULES["a11y.hashtags"].run(snapshot)
    assert snapshot.text[slice(*finding.span or (0, 0))] == "#Emploi"


def test_snapshot_part_spans_locate_each_part() -> None:
    snapshot = _thread("Un.", "Deux.", "Trois.")
    assert [snapshot.text[a:b] for a, b in snapshot.part_spans] == ["Un.", "Deux.", "Trois."]


def test_snapshot_part_spans_whole_text_without_a_thread() -> None:
    snapshot = post("Un. #Tag\n\nDeux.", mastodon("Un. #Tag\n\nDeux."))
    assert snapshot.part_spans == ((0, 15),)
    # Without a thread, a hashtag before a paragraph is inside the text.
    assert RULES["a11y.hashtags"].run(snapshot)

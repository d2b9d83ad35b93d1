"""text.invisible_characters: bidi overrides, zero-width characters and tags are refused and
named; the joiners that do a visible job (emoji sequences, scripts that shape letters) stay."""

from __future__ import annotations

import dataclasses

import pytest

from charter.rules import RULES, Severity
from charter.rules.invisible import describe, find_invisible
from charter.snapshot import MediaSnapshot, join_parts
from tests.charter.builders import bluesky, mastodon, post

RULE = RULES["text.invisible_characters"]

RLO = "\u202e"
ZWSP = "\u200b"
ZWJ = "\u200d"
ZWNJ = "\u200c"


def _run(text: str) -> tuple[str, ...]:
    return tuple(f.message for f in RULE.run(post(text, mastodon(text))))


def test_invisible_rlo_in_a_link_blocks_named_with_its_position() -> None:
    text = f"Le formulaire : https://exemple.gouv.fr/{RLO}fdp.exe"
    (finding,) = RULE.run(post(text, mastodon(text)))
    assert finding.severity is Severity.BLOCK
    assert finding.span == (40, 41)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE at position 41" in finding.message


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\u202a", "U+202A LEFT-TO-RIGHT EMBEDDING"),
        ("\u202b", "U+202B RIGHT-TO-LEFT EMBEDDING"),
        ("\u202c", "U+202C POP DIRECTIONAL FORMATTING"),
        ("\u202d", "U+202D LEFT-TO-RIGHT OVERRIDE"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\u2067", "U+2067 RIGHT-TO-LEFT ISOLATE"),
        ("\u2068", "U+2068 FIRST STRONG ISOLATE"),
        ("\u2069", "U+2069 POP DIRECTIONAL ISOLATE"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\u200c", "U+200C ZERO WIDTH NON-JOINER"),
        ("\u200d", "U+200D ZERO WIDTH JOINER"),
        ("\u2060", "U+2060 WORD JOINER"),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)"),
        ("\u00ad", "U+00AD SOFT HYPHEN"),
        ("\u180e", "U+180E MONGOLIAN VOWEL SEPARATOR"),
        ("\u3164", "U+3164 HANGUL FILLER"),
        ("\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
    ],
)
def test_invisible_each_character_is_refused_and_named(char: str, name: str) -> None:
    (message,) = _run(f"Réunion à huis{char}clos demain.")
    assert f"{name} at position 15" in message


def test_invisible_run_is_one_finding_with_its_positions() -> None:
    (finding,) = RULE.run(post(f"ab{ZWSP}{ZWSP}{RLO}cd", mastodon(f"ab{ZWSP}{ZWSP}{RLO}cd")))
    assert finding.span == (2, 5)
    assert (
        "U+200B ZERO WIDTH SPACE, U+202E RIGHT-TO-LEFT OVERRIDE at positions 3 to 5"
        in finding.message
    )


def test_invisible_plain_text_passes() -> None:
    assert _run("Ouverture des guichets lundi à 9 h ; « bienvenue » à tous !") == ()


@pytest.mark.parametrize(
    "text",
    [
        "\U0001f469\u200d\U0001f4bb",  # woman technologist
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
        "\U0001f9d1\U0001f3fd\u200d\U0001f4bb",  # technologist, medium skin tone
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland
    ],
)
def test_invisible_emoji_sequences_keep_their_joiners(text: str) -> None:
    assert _run(f"Nos équipes {text} vous attendent.") == ()


@pytest.mark.parametrize(
    "text",
    [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian "mikhâham": ZWNJ
        "\u0dc1\u0dca\u200d\u0dbb\u0dd3",  # Sinhala "Sri": virama, ZWJ
        "\u0915\u094d\u200c\u0937",  # Devanagari: half form refused with ZWNJ
    ],
)
def test_invisible_joiners_between_letters_of_scripts_that_need_them_pass(text: str) -> None:
    assert _run(f"Bienvenue : {text}.") == ()


@pytest.mark.parametrize(
    "text",
    [
        f"gouv{ZWNJ}.fr",  # next to a dot
        f"paie{ZWNJ}ment",  # between Latin letters it changes nothing visible
        f"paie{ZWJ}ment",
        f"\u041c\u0430{ZWJ}\u0440",  # Cyrillic
        f"{ZWJ}\U0001f4bb",  # a joiner with no emoji before it
        f"\U0001f469{ZWJ}",  # nor after it
        f"\u0645\u06cc{ZWNJ}",  # Arabic letter then nothing
        "\U000e0067\U000e0062\U000e007f",  # tags without the black flag
    ],
)
def test_invisible_joiners_without_a_visible_job_are_refused(text: str) -> None:
    assert len(_run(f"Voir {text} demain.")) == 1


def test_invisible_directional_marks_pass() -> None:
    # LRM, RLM and ALM only place neutral characters; mixed Arabic or Hebrew text needs them.
    assert _run("Le mot \u05e9\u05dc\u05d5\u05dd\u200f, puis \u200e(1)\u061c.") == ()


def test_invisible_in_a_thread_part_says_which_part() -> None:
    text = join_parts(["Premier message.", f"Second{ZWSP} message."])
    rendition = dataclasses.replace(
        mastodon("Premier message."), thread=(f"Second{ZWSP} message.",)
    )
    snapshot = post(text, rendition)
    (finding,) = RULE.run(snapshot)
    assert "in part 2, at position 7" in finding.message
    assert finding.span is not None
    assert text[finding.span[0] : finding.span[1]] == ZWSP


def test_invisible_in_a_network_version_names_the_network() -> None:
    snapshot = post("Le texte commun.", mastodon("Le texte commun."), bluesky(f"Sur {RLO}Bluesky."))
    (finding,) = RULE.run(snapshot)
    assert finding.account_id == 2
    assert "in the Bluesky version: U+202E RIGHT-TO-LEFT OVERRIDE at position 5" in (
        finding.message
    )


def test_invisible_in_alt_text_source_and_content_warning() -> None:
    rendition = dataclasses.replace(mastodon("Le texte."), spoiler_text=f"Alerte{ZWSP}")
    snapshot = dataclasses.replace(
        post(
            "Le texte.",
            rendition,
            media=(MediaSnapshot("carte.png", f"Carte{ZWSP}", mime_type="image/png"),),
        ),
        source=f"{RLO}INSEE",
    )
    messages = [f.message for f in RULE.run(snapshot)]
    assert len(messages) == 3
    assert any("content warning for" in m and "at position 7" in m for m in messages)
    assert any("text alternative of “carte.png”" in m and "at position 6" in m for m in messages)
    assert any("the source: U+202E RIGHT-TO-LEFT OVERRIDE at position 1" in m for m in messages)


def test_invisible_find_reports_codepoint_spans() -> None:
    assert list(find_invisible(f"a{ZWSP}b\U0001f469{ZWJ}\U0001f4bb{RLO}")) == [(1, 2), (6, 7)]


def test_invisible_describe_names_every_refused_character() -> None:
    assert describe("\u2064") == "U+2064 INVISIBLE PLUS"
    assert describe(RLO) == "U+202E RIGHT-TO-LEFT OVERRIDE"

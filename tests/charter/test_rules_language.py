from __future__ import annotations

import pytest

from charter.engine import CharterParamsError, normalize_params
from charter.rules import RULES, Severity
from charter.snapshot import PostSnapshot, RenditionSnapshot
from tests.charter.builders import bluesky, mastodon

TAG = RULES["lang.tag"]
FRENCH = RULES["lang.french_required"]
ANGLICISMS = RULES["lang.anglicisms"]

FR_TEXT = "Bonne nouvelle pour les usagers : le guichet unique ouvre ses portes lundi."
EN_TEXT = "Good news for residents: the one-stop shop opens on Monday at the town hall."


def _post(text: str, language: str = "fr", *renditions: RenditionSnapshot) -> PostSnapshot:
    return PostSnapshot(text=text, language=language, renditions=renditions or (mastodon(text),))


# --- lang.tag ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "passes"),
    [
        (FR_TEXT, "fr", True),
        (FR_TEXT, "fr-FR", True),
        (FR_TEXT, "FR", True),
        (EN_TEXT, "en", True),
        (EN_TEXT, "en-GB", True),
        (EN_TEXT, "fr", False),
        (FR_TEXT, "en", False),
        ("Merci !", "en", True),  # too short to judge
        (FR_TEXT, "", False),
        (FR_TEXT, "français", False),
        (FR_TEXT, "f", False),
    ],
)
def test_tag_present_valid_and_matching(text: str, language: str, passes: bool) -> None:
    assert (TAG.run(_post(text, language)) == ()) is passes


def test_tag_mismatch_message_names_the_language_to_choose() -> None:
    (finding,) = TAG.run(_post(EN_TEXT, "fr"))
    assert finding.severity is Severity.WARN
    assert "English" in finding.message
    assert "to en" in finding.message


def test_tag_min_clues_parameter() -> None:
    text = "The town hall is open."
    assert TAG.run(_post(text, "fr"), {"min_clues": 2})
    assert TAG.run(_post(text, "fr"), {"min_clues": 10}) == ()


# --- lang.french_required ----------------------------------------------------------------------


def test_french_required_english_text_blocks_each_french_account() -> None:
    snapshot = _post(EN_TEXT, "en", mastodon(EN_TEXT), bluesky(EN_TEXT))
    findings = FRENCH.run(snapshot)
    assert [(f.account_id, f.severity) for f in findings] == [
        (1, Severity.BLOCK),
        (2, Severity.BLOCK),
    ]
    assert FRENCH.waivable is True


def test_french_required_english_text_tagged_french_blocks() -> None:
    assert FRENCH.run(_post(EN_TEXT, "fr"))


def test_french_required_french_text_tagged_english_blocks() -> None:
    assert FRENCH.run(_post(FR_TEXT, "en"))


def test_french_required_french_passes() -> None:
    assert FRENCH.run(_post(FR_TEXT, "fr")) == ()


def test_french_required_short_french_tagged_text_passes() -> None:
    assert FRENCH.run(_post("Merci !", "fr")) == ()


def test_french_required_untagged_undecided_left_to_lang_tag() -> None:
    assert FRENCH.run(_post("Merci !", "")) == ()


def test_french_required_other_language_account_exempt() -> None:
    snapshot = _post(EN_TEXT, "en", mastodon(EN_TEXT), bluesky(EN_TEXT))
    params = {"other_language_accounts": ["@DGX.bsky.social"]}
    assert [f.account_id for f in FRENCH.run(snapshot, params)] == [1]


# --- lang.anglicisms ---------------------------------------------------------------------------


def _hits(text: str, **params: list[str]) -> list[tuple[str, str]]:
    findings = ANGLICISMS.run(_post(text), params)
    return [(text[slice(*f.span or (0, 0))], f.message) for f in findings]


def test_anglicisms_found_with_suggestion_and_span() -> None:
    text = "Abonnez-vous à notre newsletter."
    (finding,) = ANGLICISMS.run(_post(text))
    assert finding.severity is Severity.WARN
    assert finding.span == (21, 31)
    assert "infolettre" in finding.message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Envoyez un E-MAIL", ["E-MAIL"]),
        ("Un Email, des emails", ["Email", "emails"]),
        ("Luttons contre les fake news", ["fake news"]),
        ("Une start-up et des startups", ["start-up", "startups"]),
        ("Le QR code du formulaire", ["QR code"]),
        ("Suivez le live", ["live"]),
        ("Le mail Saint-Michel est fermé", []),  # a promenade, not an e-mail
        ("Les livres de la médiathèque", []),  # whole words only
        ("Écoutez notre balado", []),
        ("https://exemple.fr/podcast #podcast @podcast", []),
    ],
)
def test_anglicisms_found_whole_whatever_the_case(text: str, found: list[str]) -> None:
    assert [hit for hit, _message in _hits(text)] == found


def test_anglicisms_only_in_french_posts() -> None:
    assert ANGLICISMS.run(_post("Subscribe to our newsletter", "en")) == ()


def test_anglicisms_extra_pairs() -> None:
    ((hit, message),) = _hits("La newsroom est ouverte", extra=["newsroom=salle de rédaction"])
    assert hit == "newsroom"
    assert "salle de rédaction" in message


def test_anglicisms_allowed_words_tolerated() -> None:
    assert _hits("Suivez le live", allowed=["Live"]) == []


@pytest.mark.parametrize("value", [["newsroom"], ["=salle"], ["newsroom="]])
def test_anglicisms_extra_must_be_pairs(value: list[str]) -> None:
    with pytest.raises(CharterParamsError, match="term=French equivalent"):
        normalize_params({"lang.anglicisms": {"extra": value}})

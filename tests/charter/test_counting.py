from __future__ import annotations

from charter.counting import (
    bluesky_graphemes,
    mastodon_countable_text,
    mastodon_length,
    utf8_bytes,
)

FAMILY = "👩\u200d👩\u200d👧\u200d👦"
FLAG_FR = "🇫🇷"
E_DECOMPOSED = "e\u0301"


def test_bluesky_graphemes_family_emoji_is_one() -> None:
    assert bluesky_graphemes(FAMILY) == 1


def test_utf8_bytes_family_emoji_is_25() -> None:
    assert utf8_bytes(FAMILY) == 25


def test_bluesky_graphemes_flag_is_one() -> None:
    assert bluesky_graphemes(FLAG_FR) == 1
    assert utf8_bytes(FLAG_FR) == 8


def test_bluesky_graphemes_decomposed_accent_is_one() -> None:
    assert bluesky_graphemes(E_DECOMPOSED) == 1
    assert utf8_bytes(E_DECOMPOSED) == 3


def test_bluesky_graphemes_counts_crlf_as_one() -> None:
    assert bluesky_graphemes("a\r\nb") == 3


def test_mastodon_length_counts_graphemes_like_the_server() -> None:
    # Mastodon counts each_grapheme_cluster, not codepoints: the family is 7 codepoints.
    assert mastodon_length(FAMILY + FLAG_FR + E_DECOMPOSED) == 3


def test_mastodon_length_long_url_counts_23() -> None:
    url = "https://www.example.gouv.fr/" + "a" * 200
    assert mastodon_length(url) == 23


def test_mastodon_length_short_url_counts_23() -> None:
    assert mastodon_length("http://a.fr") == 23


def test_mastodon_length_url_uses_instance_reservation() -> None:
    assert mastodon_length("voir https://example.com", url_length=30) == 35


def test_mastodon_length_url_inside_text() -> None:
    text = "Voir https://example.com/page?x=1 pour le détail."
    assert mastodon_length(text) == len("Voir ") + 23 + len(" pour le détail.")


def test_mastodon_length_url_trailing_punctuation_is_not_part_of_it() -> None:
    assert mastodon_countable_text("https://example.com/page.") == "x" * 23 + "."
    assert mastodon_countable_text("(https://example.com/page)") == "(" + "x" * 23 + ")"


def test_mastodon_length_url_keeps_balanced_parentheses() -> None:
    text = "https://fr.wikipedia.org/wiki/Marianne_(symbole)"
    assert mastodon_length(text) == 23


def test_mastodon_length_url_without_protocol_counts_in_full() -> None:
    assert mastodon_length("www.example.com") == len("www.example.com")


def test_mastodon_length_url_without_tld_counts_in_full() -> None:
    assert mastodon_length("https://localhost/x") == len("https://localhost/x")


def test_mastodon_length_url_glued_to_a_word_counts_in_full() -> None:
    assert mastodon_length("voirhttps://example.com") == len("voirhttps://example.com")


def test_mastodon_length_url_over_4096_counts_in_full() -> None:
    url = "https://example.com/" + "a" * 4077
    assert len(url) == 4097
    assert mastodon_length(url) == 4097


def test_mastodon_length_remote_mention_counts_as_user() -> None:
    assert mastodon_length("@alice@mastodon.social") == len("@alice")


def test_mastodon_length_local_mention_counts_whole() -> None:
    assert mastodon_length("Merci @alice !") == len("Merci @alice !")


def test_mastodon_length_email_is_not_a_mention() -> None:
    assert mastodon_length("ecrire a bob@example.com") == len("ecrire a bob@example.com")


def test_mastodon_length_mention_followed_by_accent_is_not_a_mention() -> None:
    assert mastodon_countable_text("@josé@example.com") == "@josé@example.com"


def test_mastodon_length_mention_in_url_stays_part_of_url() -> None:
    assert mastodon_length("https://social.example/@alice@other.example") == 23


def test_mastodon_length_blank_text_is_zero() -> None:
    assert mastodon_length(" \n\t ") == 0


def test_utf8_bytes_lone_surrogate_counts_as_replacement_character() -> None:
    assert utf8_bytes("\ud800") == 3


def test_counting_accepts_nul_and_lone_surrogates() -> None:
    text = "a\x00b\udfff"
    assert mastodon_length(text) == 4
    assert bluesky_graphemes(text) == 4

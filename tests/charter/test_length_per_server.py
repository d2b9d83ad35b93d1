"""Lengths as each server of the Mastodon API counts them: Mastodon (graphemes, a link as
characters_reserved_per_url), GoToSocial (code points of text and warning, links in full,
whatever its instance document advertises), and the larger of both when the software is not
known."""

from __future__ import annotations

from charter.counting import (
    COUNT_CODEPOINTS,
    COUNT_CONSERVATIVE,
    COUNT_MASTODON,
    status_length,
)
from charter.engine import counters
from charter.rules.base import Severity
from charter.rules.length import check_mastodon
from charter.snapshot import PostSnapshot, RenditionSnapshot

LINK = "https://www.service-public.fr/particuliers/vosdroits/F1234"  # 58 code points
FAMILY = "👩\u200d👩\u200d👧\u200d👦"  # one grapheme, seven code points


def _snapshot(body: str, *, counting: str, limit: int = 500, per_url: int = 23) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=7,
        network="mastodon",
        handle="dgx@gts.example",
        body=body,
        byline="",
        max_characters=limit,
        characters_reserved_per_url=per_url,
        counting=counting,
    )
    return PostSnapshot(text=body, language="fr", renditions=(rendition,))


def test_status_length_mastodon_counts_a_link_as_reserved_and_graphemes() -> None:
    assert status_length(f"Voir {LINK}", counting=COUNT_MASTODON) == 5 + 23
    assert status_length(FAMILY, counting=COUNT_MASTODON) == 1


def test_status_length_gotosocial_counts_code_points_links_in_full_and_the_warning() -> None:
    assert status_length(f"Voir {LINK}", "CW", counting=COUNT_CODEPOINTS, url_length=25) == (
        5 + len(LINK) + 2
    )
    assert status_length(FAMILY, counting=COUNT_CODEPOINTS) == 7


def test_status_length_unknown_software_takes_the_larger_count() -> None:
    short_link = "https://a.fr"  # 12 code points, 23 on Mastodon
    assert status_length(short_link, counting=COUNT_CONSERVATIVE) == 23
    assert status_length(f"Voir {LINK}", counting=COUNT_CONSERVATIVE) == 5 + len(LINK)
    assert status_length(FAMILY, counting=COUNT_CONSERVATIVE) == 7


def test_len_mastodon_uses_the_accounts_limit_and_counting() -> None:
    # 270 characters and a long link: 294 on Mastodon (passes 300), 329 on GoToSocial.
    body = "x" * 270 + " " + LINK
    assert not list(
        check_mastodon(_snapshot(body, counting=COUNT_MASTODON, limit=300), {}, Severity.BLOCK)
    )
    (finding,) = check_mastodon(
        _snapshot(body, counting=COUNT_CODEPOINTS, limit=300, per_url=25), {}, Severity.BLOCK
    )
    assert finding.account_id == 7
    assert f"is {271 + len(LINK)} characters" in finding.message and "is 300" in finding.message
    assert "links in full" in finding.message


def test_counters_follow_the_accounts_counting() -> None:
    body = "Voir " + LINK
    (mastodon,) = counters(_snapshot(body, counting=COUNT_MASTODON, limit=280))
    (gotosocial,) = counters(_snapshot(body, counting=COUNT_CODEPOINTS, limit=280))
    assert (mastodon.used, mastodon.limit) == (28, 280)
    assert (gotosocial.used, gotosocial.limit) == (5 + len(LINK), 280)

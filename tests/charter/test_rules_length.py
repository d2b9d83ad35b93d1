from __future__ import annotations

from charter.rules import RULES, Severity
from charter.snapshot import RenditionSnapshot
from tests.charter.builders import bluesky, mastodon, post

LEN_MASTODON = RULES["len.mastodon"]
LEN_BLUESKY = RULES["len.bluesky"]
BYLINE = "— DGX ^JD"  # 9 characters, 11 bytes; "\n\n" joins it to the body
FAMILY = "👩\u200d👩\u200d👧\u200d👦"


def test_len_mastodon_text_at_the_limit_passes() -> None:
    snapshot = post("", mastodon("x" * 489, byline=BYLINE))
    assert LEN_MASTODON.run(snapshot) == ()


def test_len_mastodon_text_over_the_limit_blocks() -> None:
    snapshot = post("", mastodon("x" * 490, byline=BYLINE))
    (finding,) = LEN_MASTODON.run(snapshot)
    assert finding.severity is Severity.BLOCK
    assert finding.account_id == 1
    assert "501 characters" in finding.message
    assert "the limit is 500: remove 1." in finding.message


def test_len_mastodon_counts_the_byline() -> None:
    assert LEN_MASTODON.run(post("", mastodon("x" * 500))) == ()
    assert len(LEN_MASTODON.run(post("", mastodon("x" * 500, byline="^JD")))) == 1


def test_len_mastodon_uses_the_instance_limit() -> None:
    snapshot = post("", mastodon("x" * 600, max_characters=1000))
    assert LEN_MASTODON.run(snapshot) == ()


def test_len_mastodon_counts_links_as_reserved_characters() -> None:
    body = "https://example.com/" + "a" * 600
    assert LEN_MASTODON.run(post("", mastodon(body))) == ()
    assert len(LEN_MASTODON.run(post("", mastodon(body, characters_reserved_per_url=501)))) == 1


def test_len_mastodon_ignores_bluesky_renditions() -> None:
    assert LEN_MASTODON.run(post("", bluesky("x" * 1000))) == ()


def test_len_mastodon_reports_each_account_over_its_limit() -> None:
    snapshot = post(
        "",
        mastodon("x" * 600, account_id=1),
        mastodon("x" * 600, account_id=3, max_characters=1000),
        mastodon("x" * 600, account_id=4, max_characters=550),
    )
    assert [f.account_id for f in LEN_MASTODON.run(snapshot)] == [1, 4]


def test_len_bluesky_text_at_300_graphemes_passes() -> None:
    snapshot = post("", bluesky("x" * 289, byline=BYLINE))
    assert LEN_BLUESKY.run(snapshot) == ()


def test_len_bluesky_text_over_300_graphemes_blocks() -> None:
    snapshot = post("", bluesky("x" * 301, byline=BYLINE))
    (finding,) = LEN_BLUESKY.run(snapshot)
    assert finding.severity is Severity.BLOCK
    assert finding.account_id == 2
    assert finding.message == (
        "The Bluesky text for @dgx.bsky.social is 312 graphemes including the byline; "
        "the limit is 300: remove 12."
    )


def test_len_bluesky_counts_emoji_as_one_grapheme() -> None:
    snapshot = post("", bluesky(FAMILY * 100))
    assert LEN_BLUESKY.run(snapshot) == ()


def test_len_bluesky_blocks_over_3000_bytes_under_300_graphemes() -> None:
    snapshot = post("", bluesky(FAMILY * 280, byline=BYLINE))
    (finding,) = LEN_BLUESKY.run(snapshot)
    assert "7013 bytes" in finding.message
    assert "remove 4013" in finding.message


def test_len_bluesky_at_3000_bytes_passes() -> None:
    # 120 families (3000 bytes) exactly, no byline.
    assert LEN_BLUESKY.run(post("", bluesky(FAMILY * 120))) == ()
    assert len(LEN_BLUESKY.run(post("", bluesky(FAMILY * 120 + "x")))) == 1


def test_len_bluesky_reports_both_limits_when_both_are_passed() -> None:
    findings = LEN_BLUESKY.run(post("", bluesky(FAMILY * 400)))
    assert len(findings) == 2


def test_len_bluesky_counts_links_in_full() -> None:
    body = "https://example.com/" + "a" * 290
    assert len(LEN_BLUESKY.run(post("", bluesky(body)))) == 1


def test_len_rules_ignore_unknown_networks() -> None:
    other = RenditionSnapshot(
        account_id=9, network="threads", handle="x", body="x" * 9999, byline=""
    )
    snapshot = post("", other)
    assert LEN_MASTODON.run(snapshot) == ()
    assert LEN_BLUESKY.run(snapshot) == ()

"""Mastodon counts the content warning in the same limit as the text."""

from __future__ import annotations

from charter.engine import counters
from charter.rules.base import Severity
from charter.rules.length import check_mastodon
from charter.snapshot import PostSnapshot, RenditionSnapshot


def _snapshot(body: str, spoiler_text: str) -> PostSnapshot:
    rendition = RenditionSnapshot(
        account_id=1,
        network="mastodon",
        handle="a@b.example",
        body=body,
        byline="",
        spoiler_text=spoiler_text,
    )
    return PostSnapshot(text=body, language="fr", renditions=(rendition,))


def test_len_mastodon_counts_the_spoiler_text() -> None:
    findings = list(check_mastodon(_snapshot("x" * 495, "Accident"), {}, Severity.BLOCK))
    assert [f.rule for f in findings] == ["len.mastodon"]


def test_len_mastodon_text_and_spoiler_at_the_limit_pass() -> None:
    assert list(check_mastodon(_snapshot("x" * 492, "Accident"), {}, Severity.BLOCK)) == []


def test_len_mastodon_links_in_the_spoiler_count_in_full() -> None:
    link = "https://example.gouv.fr/" + "a" * 40  # 64 characters, not shortened to 23
    findings = list(check_mastodon(_snapshot("x" * 440, link), {}, Severity.BLOCK))
    assert findings


def test_counters_include_the_spoiler_text() -> None:
    (counter,) = counters(_snapshot("Bilan.", "Accident"))
    assert counter.used == len("Bilan.") + len("Accident")

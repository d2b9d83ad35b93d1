"""Revision diffs are pure: plain values in, segments and field changes out (no database)."""

from __future__ import annotations

from editorial.diffs import (
    Change,
    MediaState,
    Op,
    RevisionState,
    Segment,
    media_changes,
    revision_diff,
    revision_diffs,
    word_diff,
)


def _state(number: int, text: str = "Guichet ouvert lundi.", **kwargs: object) -> RevisionState:
    values: dict[str, object] = {"language": "fr", "tier": "Standard", "accounts": ("@a",)}
    values.update(kwargs)
    return RevisionState(number=number, text=text, **values)  # type: ignore[arg-type]


def test_word_diff_marks_only_the_changed_word() -> None:
    segments = word_diff("Guichet ouvert lundi matin.", "Guichet ouvert mardi matin.")
    assert segments == [
        Segment(Op.EQUAL, "Guichet ouvert "),
        Segment(Op.DELETE, "lundi"),
        Segment(Op.INSERT, "mardi"),
        Segment(Op.EQUAL, " matin."),
    ]


def test_word_diff_rebuilds_both_texts() -> None:
    before, after = "Un, deux\ntrois.", "Un deux, trois et quatre !"
    segments = word_diff(before, after)
    assert "".join(s.text for s in segments if s.op != Op.INSERT) == before
    assert "".join(s.text for s in segments if s.op != Op.DELETE) == after


def test_word_diff_of_equal_texts_is_one_equal_segment() -> None:
    assert word_diff("Même texte.", "Même texte.") == [Segment(Op.EQUAL, "Même texte.")]


def test_revision_diff_first_revision_is_all_inserted() -> None:
    diff = revision_diff(None, _state(1, "Bonjour"))
    assert (diff.before, diff.text, diff.changes) == (None, [Segment(Op.INSERT, "Bonjour")], [])


def test_revision_diff_reports_language_and_tier() -> None:
    diff = revision_diff(_state(1), _state(2, language="en", tier="Political"))
    assert [(c.kind, c.before, c.after) for c in diff.changes] == [
        (Change.LANGUAGE, "fr", "en"),
        (Change.TIER, "Standard", "Political"),
    ]
    assert not diff.text_changed


def test_revision_diff_reports_accounts_added_and_removed() -> None:
    diff = revision_diff(_state(1, accounts=("@a", "@b")), _state(2, accounts=("@b", "@c")))
    assert [(c.kind, c.before or c.after) for c in diff.changes] == [
        (Change.ACCOUNT_REMOVED, "@a"),
        (Change.ACCOUNT_ADDED, "@c"),
    ]


def test_revision_diff_ignores_what_an_old_revision_did_not_record() -> None:
    diff = revision_diff(_state(1, tier="", accounts=None), _state(2, tier="Political"))
    assert diff.changes == []


def test_media_changes_alt_text_of_the_same_image() -> None:
    changes = media_changes((MediaState("h1", "Une affiche"),), (MediaState("h1", "L'affiche"),))
    assert [(c.kind, c.before, c.after) for c in changes] == [
        (Change.ALT_TEXT, "Une affiche", "L'affiche")
    ]


def test_media_changes_replaced_added_and_removed() -> None:
    replaced = media_changes((MediaState("h1", "a", "a.png"),), (MediaState("h2", "a", "b.png"),))
    added = media_changes((), (MediaState("h1", "a", "a.png"),))
    removed = media_changes((MediaState("h1", "a", "a.png"),), ())
    assert [(c.kind, c.before, c.after) for c in replaced] == [
        (Change.MEDIA_REPLACED, "a.png", "b.png")
    ]
    assert [(c.kind, c.after) for c in added] == [(Change.MEDIA_ADDED, "a.png")]
    assert [(c.kind, c.before) for c in removed] == [(Change.MEDIA_REMOVED, "a.png")]


def test_revision_diffs_compare_each_revision_with_the_previous_one() -> None:
    diffs = revision_diffs([_state(3, "c"), _state(1, "a"), _state(2, "b")])
    assert [(d.before, d.after) for d in diffs] == [(None, 1), (1, 2), (2, 3)]


def test_revision_diff_label_is_translatable_text() -> None:
    diff = revision_diff(_state(1), _state(2, language="en"))
    assert diff.changes[0].label == "Language"

"""What changed between two revisions of a post, as plain data for the history tab.

Pure: callers pass ``RevisionState`` values built from the database (``editorial.history``),
so the diff itself is tested without one. The text is compared word by word (a reviewer
wants to see "lundi" became "mardi", not that the whole line changed); the rest of what an
approval covers (language, tier, accounts, images and their alt texts, the requested time
and the embargo) is listed field by field.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Words, runs of whitespace and single punctuation marks: joined back, they give the text.
TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")


class Op(StrEnum):
    EQUAL = "equal"
    INSERT = "insert"
    DELETE = "delete"


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


@dataclass(frozen=True)
class MediaState:
    sha256: str
    alt_text: str
    name: str = ""


@dataclass(frozen=True)
class RevisionState:
    number: int
    text: str
    language: str
    # Empty / None when the revision predates their recording: unknown, so never "changed".
    tier: str = ""
    accounts: tuple[str, ...] | None = None
    media: tuple[MediaState, ...] = ()
    # As shown (a formatted time); "" when none.
    embargo_until: str = ""
    requested_publish_at: str = ""
    source: str = ""
    # Per-network versions and options as (label, shown value), the label naming the change.
    options: tuple[tuple[str, str], ...] = ()


class Change(StrEnum):
    LANGUAGE = "language"
    TIER = "tier"
    ACCOUNT_ADDED = "account_added"
    ACCOUNT_REMOVED = "account_removed"
    MEDIA_ADDED = "media_added"
    MEDIA_REMOVED = "media_removed"
    MEDIA_REPLACED = "media_replaced"
    ALT_TEXT = "alt_text"
    EMBARGO = "embargo"
    REQUESTED_TIME = "requested_time"
    SOURCE = "source"
    NETWORK_OPTION = "network_option"


CHANGE_LABELS: dict[Change, Promise] = {
    Change.LANGUAGE: _("Language"),
    Change.TIER: _("Tier"),
    Change.ACCOUNT_ADDED: _("Account added"),
    Change.ACCOUNT_REMOVED: _("Account removed"),
    Change.MEDIA_ADDED: _("Image added"),
    Change.MEDIA_REMOVED: _("Image removed"),
    Change.MEDIA_REPLACED: _("Image replaced"),
    Change.ALT_TEXT: _("Alt text"),
    Change.EMBARGO: _("Embargo until"),
    Change.REQUESTED_TIME: _("Requested publication time"),
    Change.SOURCE: _("Source of the figures"),
    Change.NETWORK_OPTION: _("Network option"),
}


@dataclass(frozen=True)
class FieldChange:
    kind: Change
    before: str = ""
    after: str = ""
    name: str = ""  # which option, for NETWORK_OPTION

    @property
    def label(self) -> str:
        return self.name or str(CHANGE_LABELS[self.kind])


@dataclass(frozen=True)
class RevisionDiff:
    before: int | None  # None: the first revision, compared with nothing
    after: int
    text: list[Segment]
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def text_changed(self) -> bool:
        return any(s.op != Op.EQUAL for s in self.text)

    @property
    def is_empty(self) -> bool:
        return not self.text_changed and not self.changes


def word_diff(before: str, after: str) -> list[Segment]:
    """The after-text as segments kept, inserted or deleted (deletions before insertions)."""
    a, b = TOKEN_RE.findall(before), TOKEN_RE.findall(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(segments, Op.EQUAL, "".join(a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _append(segments, Op.DELETE, "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            _append(segments, Op.INSERT, "".join(b[j1:j2]))
    return segments


def _append(segments: list[Segment], op: Op, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op, segments[-1].text + text)
    else:
        segments.append(Segment(op, text))


def field_changes(before: RevisionState, after: RevisionState) -> list[FieldChange]:
    changes: list[FieldChange] = []
    if before.language != after.language:
        changes.append(FieldChange(Change.LANGUAGE, before.language, after.language))
    if before.tier and after.tier and before.tier != after.tier:
        changes.append(FieldChange(Change.TIER, before.tier, after.tier))
    if before.accounts is not None and after.accounts is not None:
        changes += [
            FieldChange(Change.ACCOUNT_REMOVED, before=name)
            for name in before.accounts
            if name not in after.accounts
        ]
        changes += [
            FieldChange(Change.ACCOUNT_ADDED, after=name)
            for name in after.accounts
            if name not in before.accounts
        ]
    if before.embargo_until != after.embargo_until:
        changes.append(FieldChange(Change.EMBARGO, before.embargo_until, after.embargo_until))
    if before.requested_publish_at != after.requested_publish_at:
        changes.append(
            FieldChange(
                Change.REQUESTED_TIME, before.requested_publish_at, after.requested_publish_at
            )
        )
    if before.source != after.source:
        changes.append(FieldChange(Change.SOURCE, before.source, after.source))
    return changes + media_changes(before.media, after.media) + option_changes(before, after)


def option_changes(before: RevisionState, after: RevisionState) -> list[FieldChange]:
    old, new = dict(before.options), dict(after.options)
    names = list(old) + [name for name in new if name not in old]
    return [
        FieldChange(Change.NETWORK_OPTION, old.get(name, ""), new.get(name, ""), name=name)
        for name in names
        if old.get(name, "") != new.get(name, "")
    ]


def media_changes(
    before: tuple[MediaState, ...], after: tuple[MediaState, ...]
) -> list[FieldChange]:
    """Images compared by position: the same file with another alt text is an alt text
    change, another file at the same place a replacement."""
    changes: list[FieldChange] = []
    for old, new in zip(before, after, strict=False):
        if old.sha256 != new.sha256:
            changes.append(FieldChange(Change.MEDIA_REPLACED, old.name, new.name))
            if old.alt_text != new.alt_text:
                changes.append(FieldChange(Change.ALT_TEXT, old.alt_text, new.alt_text))
        elif old.alt_text != new.alt_text:
            changes.append(FieldChange(Change.ALT_TEXT, old.alt_text, new.alt_text))
    changes += [FieldChange(Change.MEDIA_REMOVED, before=m.name) for m in before[len(after) :]]
    changes += [FieldChange(Change.MEDIA_ADDED, after=m.name) for m in after[len(before) :]]
    return changes


def revision_diff(before: RevisionState | None, after: RevisionState) -> RevisionDiff:
    if before is None:
        first = [Segment(Op.INSERT, after.text)] if after.text else []
        return RevisionDiff(None, after.number, first)
    return RevisionDiff(
        before.number,
        after.number,
        word_diff(before.text, after.text),
        field_changes(before, after),
    )


def revision_diffs(states: list[RevisionState]) -> list[RevisionDiff]:
    """Each revision against the one before it, in the order given (oldest first)."""
    ordered = sorted(states, key=lambda s: s.number)
    return [revision_diff(ordered[i - 1] if i else None, state) for i, state in enumerate(ordered)]

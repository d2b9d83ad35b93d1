"""The history tab of a post: every revision with what changed, and every audit event.

Events are shown from what they store: the verb's label (``EVENT_VERBS``, or the verb itself
for one this module does not know), the states, who, on whose behalf, and the event's data
as label/value pairs, so kinds added later show without a change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from editorial import diffs, networks
from editorial.failures import FailureWords, failures_of
from editorial.models import (
    AuditEvent,
    HoldWords,
    Post,
    PostTier,
    RescheduleRule,
    Revision,
    hold_words,
)

# Data keys the template already shows in words of its own (or that mean nothing to readers).
SHOWN_APART = frozenset(
    {
        "step",
        "step_number",
        "step_id",
        "as_deputy_of",
        "revision",
        "comment",
        "comment_id",
        "error",
        "findings",
        "unscheduled",
        "reason",
        "justification",
        "unit",
        "answer",
        "level",
        "waiting_for_consultations",
        "content_hash",
        "mentions",
        "publications",
        # A charter hold's problems: a list in the reader's language (``EventEntry.hold``).
        "problems",
        "worded",
    }
)


@dataclass(frozen=True)
class RevisionEntry:
    revision: Revision
    diff: diffs.RevisionDiff


@dataclass(frozen=True)
class EventEntry:
    event: AuditEvent
    details: list[tuple[str, str]]
    hold: HoldWords | None = None  # a charter hold: one line per problem
    # A failed publication: why, per account, in the reader's language (editorial.failures).
    failures: list[FailureWords] = field(default_factory=list)


@dataclass(frozen=True)
class History:
    revisions: list[RevisionEntry]  # newest first
    events: list[EventEntry]  # oldest first


def _shown_time(value: datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


def revision_state(revision: Revision) -> diffs.RevisionState:
    tier = revision.tier
    return diffs.RevisionState(
        number=revision.number,
        text=revision.text,
        language=revision.language,
        tier=str(PostTier(tier).label) if tier in PostTier.values else tier,
        accounts=tuple(a.get("name", "") for a in revision.accounts_record)
        if revision.accounts_record
        else None,
        media=tuple(
            diffs.MediaState(
                sha256=m.sha256, alt_text=m.alt_text, name=m.file.name.rsplit("/", 1)[-1]
            )
            for m in revision.media.all()
        ),
        embargo_until=_shown_time(revision.embargo_until),
        requested_publish_at=_shown_time(revision.requested_publish_at),
        source=revision.source,
        options=networks.described(revision.network_options),
    )


# An instant as services store it in an event's data (datetime.isoformat()).
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _instant(value: str) -> str:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return _shown_time(instant)


def _value(value: Any) -> str:
    """Readable text for one stored value: a name for a person or account, a list joined,
    an instant in the reader's time zone and format (never the stored ISO text)."""
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        return _instant(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        if "name" in value:
            return str(value["name"])
        return ", ".join(f"{DATA_LABELS.get(k, k)}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    return "" if value is None else str(value)


# Labels of the data keys services write most; others show as their key, capitalised.
DATA_LABELS = {
    "charter": pgettext_lazy("event data", "Charter"),
    "warnings": pgettext_lazy("event data", "Warnings"),
    "at": pgettext_lazy("event data", "Time"),
    "moved_from": pgettext_lazy("event data", "Moved from"),
    "accounts": pgettext_lazy("event data", "Accounts"),
    "account": pgettext_lazy("event data", "Account"),
    "late_minutes": pgettext_lazy("event data", "Minutes late"),
    "from_tier": pgettext_lazy("event data", "From tier"),
    "to_tier": pgettext_lazy("event data", "To tier"),
    "rules": pgettext_lazy("event data", "Rules"),
    "server": pgettext_lazy("event data", "Server"),
    "question": pgettext_lazy("event data", "Question"),
    "deadline": pgettext_lazy("event data", "Deadline"),
    "blocking": pgettext_lazy("event data", "Blocking"),
    "urgent": pgettext_lazy("event data", "Urgent"),
    "category": pgettext_lazy("event data", "Category"),
    "rule": pgettext_lazy("event data", "Rule"),
    # What caused a charter hold: an election declared, an account changed (which fields).
    "cause": pgettext_lazy("event data", "Cause"),
    "election": pgettext_lazy("event data", "Election"),
    "fields": pgettext_lazy("event data", "Fields changed"),
    # The urgent procedure past a blocking consultation (``editorial.services.urgent``).
    "requested_at": pgettext_lazy("event data", "Asked at"),
    "posthoc_review": pgettext_lazy("event data", "Post-hoc review"),
    "overridden_consultations": pgettext_lazy("event data", "Consultations overridden"),
    "after_urgent_publication": pgettext_lazy("event data", "After the urgent publication"),
    # A move that the approval policy wants approved again (``services.reapproval``).
    "reschedule_rule": pgettext_lazy("event data", "Approval policy rule"),
    "tolerance_minutes": pgettext_lazy("event data", "Tolerance (minutes)"),
}


def event_details(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The event's data the template does not show apart, as (label, value), empty skipped."""
    details = []
    for key, value in data.items():
        if key in SHOWN_APART:
            continue
        text = _value(value)
        if key == "reschedule_rule" and value in RescheduleRule.values:
            text = str(RescheduleRule(value).label)
        if text:
            label = DATA_LABELS.get(key) or key.replace("_", " ").capitalize()
            details.append((str(label), text))
    return details


def post_history(post: Post) -> History:
    revisions = list(
        post.revisions.select_related("created_by").prefetch_related("media").order_by("number")
    )
    by_number = {r.number: r for r in revisions}
    revision_diffs = diffs.revision_diffs([revision_state(r) for r in revisions])
    events = post.events.select_related("actor", "on_behalf_of").order_by("seq")
    return History(
        revisions=[RevisionEntry(by_number[d.after], d) for d in reversed(revision_diffs)],
        events=[
            EventEntry(
                e,
                event_details(e.data),
                hold_words(e.data) if e.verb == "held_by_charter" else None,
                failures_of(e.data.get("publications", [])) if e.verb == "failed" else [],
            )
            for e in events
        ],
    )

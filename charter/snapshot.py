"""The frozen view of a post that the charter checks.

``charter`` never reads a model: ``editorial`` builds these dataclasses and the rules read
nothing else, so a rule is a pure function that needs no database to test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

# Between the parts of a thread in ``PostSnapshot.text``: content rules read the whole thread.
PART_SEPARATOR = "\n\n"


def join_parts(parts: Sequence[str]) -> str:
    """The text content rules read: every part of the thread, a blank line between two."""
    return PART_SEPARATOR.join(parts)


def thread_parts(body: str, thread: Sequence[str], byline: str) -> tuple[str, ...]:
    """The published texts of a post and its thread: the byline goes into the last part."""
    parts = [body, *thread]
    return (*parts[:-1], with_byline(parts[-1], byline))


def with_byline(body: str, byline: str) -> str:
    """The published text of a rendition: the body, a blank line, the byline.

    The one place where the published text is composed: the charter counts what this returns
    and the publisher sends what this returns, so the two can never disagree.
    """
    if not byline:
        return body
    return body.rstrip() + "\n\n" + byline


@dataclass(frozen=True)
class MediaSnapshot:
    filename: str
    alt_text: str
    mime_type: str = ""
    size: int = 0


@dataclass(frozen=True)
class RenditionSnapshot:
    """The post as it will appear on one account (its network, its byline, its limits)."""

    account_id: int
    network: str  # "mastodon" | "bluesky", as SocialAccount.Network
    handle: str
    body: str
    byline: str
    # Mastodon instance limits, read from instance_v2; Bluesky's limits are fixed by the lexicon.
    max_characters: int = 500
    characters_reserved_per_url: int = 23
    # How the account's server counts (charter.counting.status_length): "mastodon",
    # "codepoints" (GoToSocial) or "conservative" (software not known).
    counting: str = "mastodon"
    # SocialAccount.is_active: a deactivated account must not speak any more.
    account_active: bool = True
    # Mastodon's content warning, shown before the text and counted in the same limit.
    spoiler_text: str = ""
    # The following parts of a thread (each its own status or record, replying to the one
    # before); the byline goes into the last part.
    thread: tuple[str, ...] = ()

    @property
    def full_text(self) -> str:
        """The first published part (the whole post when there is no thread)."""
        return self.parts[0]

    @property
    def parts(self) -> tuple[str, ...]:
        return thread_parts(self.body, self.thread, self.byline)


@dataclass(frozen=True)
class ElectionWindowSnapshot:
    """An election that concerns the post's unit: its pre-electoral window and its rounds."""

    name: str
    kind: str  # ElectionWindow.Kind
    window_start: date  # first day of the pre-electoral period (Code électoral, art. L52-1)
    vote_dates: tuple[date, ...]  # one date per round, in order
    # The IANA time zone the vote's days and hours are read in (overseas votes differ).
    time_zone: str = "Europe/Paris"
    # When the polls close on a vote day, local time; None: the charter's parameter.
    polls_close: time | None = None

    @property
    def last_vote(self) -> date:
        return max(self.vote_dates)


@dataclass(frozen=True)
class LinkStatus:
    """What a worker found when it fetched a link of the post (``charter.linkcheck``)."""

    url: str
    ok: bool
    detail: str = ""  # "404 Not Found", "timeout", "redirects to …"


@dataclass(frozen=True)
class PostSnapshot:
    text: str
    language: str
    renditions: tuple[RenditionSnapshot, ...]
    media: tuple[MediaSnapshot, ...] = ()
    # When the post is meant to go out; None: as soon as it is approved.
    scheduled_for: datetime | None = None
    # When the check ran: the time an unscheduled post is judged at (rules never read a clock).
    checked_at: datetime | None = None
    # Nothing may be published before this time (a press embargo).
    embargo_until: datetime | None = None
    # Where the figures in the post come from (a study, a dataset, a report).
    source: str = ""
    # The speaking unit's byline code and the author's initials, as the byline should show them.
    author_unit_code: str = ""
    author_initials: str = ""
    election_windows: tuple[ElectionWindowSnapshot, ...] = ()
    # Results of the asynchronous link check for the post's links (missing: not checked yet).
    link_statuses: tuple[LinkStatus, ...] = ()

    @property
    def part_spans(self) -> tuple[tuple[int, int], ...]:
        """[start, end) of each part of the thread in ``text`` (``join_parts``); one span, the
        whole text, when the post is no thread or the text was not joined from its parts."""
        thread = next((r.thread for r in self.renditions if r.thread), ())
        tail = PART_SEPARATOR + join_parts(thread)
        if not thread or not self.text.endswith(tail):
            return ((0, len(self.text)),)
        spans = [(0, len(self.text) - len(tail))]
        for part in thread:
            start = spans[-1][1] + len(PART_SEPARATOR)
            spans.append((start, start + len(part)))
        return tuple(spans)

    @property
    def effective_time(self) -> datetime | None:
        """The time the post would go out: its schedule, else the time of the check."""
        return self.scheduled_for or self.checked_at

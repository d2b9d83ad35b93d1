"""Electoral calendar arithmetic, in French law and local time (no clock, no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from charter.snapshot import ElectionWindowSnapshot

PARIS = ZoneInfo("Europe/Paris")


def pre_electoral_start(first_round: date) -> date:
    """The first day of the sixth month before the month of the vote (Code électoral, L52-1).

    A vote in March 2026 opens the period on 1 September 2025.
    """
    months = first_round.year * 12 + (first_round.month - 1) - 6
    return date(months // 12, months % 12 + 1, 1)


def local_day(moment: datetime) -> date:
    """The calendar day in Paris; a naive datetime is taken as already local."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(PARIS).date()


def in_window(window: ElectionWindowSnapshot, moment: datetime) -> bool:
    """From the window's first day through the day of its last round, in Paris time."""
    return window.window_start <= local_day(moment) <= window.last_vote


def silence_period(vote: date, *, hours_before: int, polls_close: int) -> tuple[datetime, datetime]:
    """[start, end) of the silence around one round, as aware Paris datetimes.

    It ends when the polls close on the vote day and starts ``hours_before`` hours before
    that day begins: 48 gives Friday midnight, a day before the legal minimum of art. L49
    (the eve at midnight), so that a post scheduled late on Friday is held too.
    """
    day_start = datetime.combine(vote, time(0), tzinfo=PARIS)
    return day_start - timedelta(hours=hours_before), day_start + timedelta(hours=polls_close)


def as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)

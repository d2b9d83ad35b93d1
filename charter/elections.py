"""Electoral calendar arithmetic, in French law and local time (no clock, no database).

The texts (Code électoral, LEGITEXT000006070239 on Légifrance):
- art. L49: "À partir de la veille du scrutin à zéro heure", no electoral message may be
  published by electronic means; the silence lasts until the polls close.
- art. L52-1 al. 2: "à compter du premier jour du sixième mois précédant le mois au cours
  duquel il doit être procédé à des élections générales", no promotion of a local authority's
  achievements or management.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from charter.snapshot import ElectionWindowSnapshot

PARIS = ZoneInfo("Europe/Paris")
# Polls close at 20:00 in the large towns, 18:00 elsewhere: the later hour keeps the silence
# until the last polling station of metropolitan France has closed.
DEFAULT_POLLS_CLOSE = time(20, 0)


def zone(name: str) -> ZoneInfo:
    """An election's time zone by its IANA name; Paris when blank or unknown (the snapshot is
    built from a validated field, so unknown only happens with a hand-made snapshot)."""
    if not name:
        return PARIS
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return PARIS


def pre_electoral_start(first_round: date) -> date:
    """The first day of the sixth month before the month of the vote (Code électoral, L52-1).

    A vote in March 2026 opens the period on 1 September 2025.
    """
    months = first_round.year * 12 + (first_round.month - 1) - 6
    return date(months // 12, months % 12 + 1, 1)


def local_day(moment: datetime, tz: ZoneInfo = PARIS) -> date:
    """The calendar day in ``tz``; a naive datetime is taken as already local."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(tz).date()


def in_window(window: ElectionWindowSnapshot, moment: datetime) -> bool:
    """From the window's first day through the day of its last round, in the election's
    local time."""
    return window.window_start <= local_day(moment, zone(window.time_zone)) <= window.last_vote


def silence_period(
    vote: date,
    *,
    hours_before: int = 24,
    polls_close: time = DEFAULT_POLLS_CLOSE,
    tz: ZoneInfo = PARIS,
) -> tuple[datetime, datetime]:
    """[start, end) of the silence around one round, as aware local datetimes.

    Art. L49: it starts "la veille du scrutin à zéro heure", 00:00 on the eve, which is 24
    hours of wall-clock time before the vote day begins (the default); a charter may start it
    earlier, never later. It ends when the polls close on the vote day. The arithmetic is in
    wall-clock time, so a change to summer time on the eve or the day moves nothing.
    """
    day_start = datetime.combine(vote, time(0), tzinfo=tz)
    return day_start - timedelta(hours=hours_before), datetime.combine(vote, polls_close, tz)


def as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from charter.elections import PARIS, in_window, local_day, pre_electoral_start, silence_period
from charter.snapshot import ElectionWindowSnapshot

WINDOW = ElectionWindowSnapshot(
    name="Municipales 2026",
    kind="municipal",
    window_start=date(2025, 9, 1),
    vote_dates=(date(2026, 3, 15), date(2026, 3, 22)),
)


@pytest.mark.parametrize(
    ("vote", "start"),
    [
        (date(2026, 3, 15), date(2025, 9, 1)),  # L52-1: six months before the vote's month
        (date(2026, 3, 1), date(2025, 9, 1)),
        (date(2027, 6, 13), date(2026, 12, 1)),
        (date(2027, 7, 31), date(2027, 1, 1)),
        (date(2027, 12, 5), date(2027, 6, 1)),
    ],
)
def test_pre_electoral_start_first_day_of_sixth_month_before(vote: date, start: date) -> None:
    assert pre_electoral_start(vote) == start


def test_local_day_converts_utc_to_paris() -> None:
    # 23:30 UTC on 31 August is already 1 September in Paris (UTC+2 in summer).
    assert local_day(datetime(2025, 8, 31, 23, 30, tzinfo=UTC)) == date(2025, 9, 1)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2025, 8, 31, 23, 59, tzinfo=PARIS), False),
        (datetime(2025, 9, 1, 0, 0, tzinfo=PARIS), True),
        (datetime(2026, 3, 22, 23, 59, tzinfo=PARIS), True),  # last round day included
        (datetime(2026, 3, 23, 0, 0, tzinfo=PARIS), False),
    ],
)
def test_in_window_from_first_day_through_last_round(moment: datetime, inside: bool) -> None:
    assert in_window(WINDOW, moment) is inside


def test_silence_period_default_is_the_eve_at_midnight_to_polls_close() -> None:
    start, end = silence_period(date(2026, 3, 15))
    assert start == datetime(2026, 3, 14, 0, 0, tzinfo=PARIS)  # L49: "la veille ... à zéro heure"
    assert end == datetime(2026, 3, 15, 20, 0, tzinfo=PARIS)


def test_silence_period_eve_at_midnight_when_summer_time_starts_on_the_vote_day() -> None:
    # 29 March 2026: clocks go forward at 02:00 on the vote day; the eve is still 28 at 00:00.
    start, _end = silence_period(date(2026, 3, 29))
    assert start.astimezone(UTC) == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)


def test_silence_period_polls_close_in_local_time_on_a_dst_sunday() -> None:
    # 29 March 2026: clocks go forward at 02:00; polls still close at 20:00 wall time.
    _start, end = silence_period(date(2026, 3, 29), polls_close=time(20))
    assert end.astimezone(UTC) == datetime(2026, 3, 29, 18, 0, tzinfo=UTC)

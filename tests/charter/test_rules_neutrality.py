from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from charter.elections import PARIS
from charter.engine import CharterParamsError, normalize_params
from charter.rules import RULES, Severity
from charter.snapshot import ElectionWindowSnapshot, PostSnapshot
from tests.charter.builders import mastodon

WINDOW_RULE = RULES["neutrality.election_window"]
SILENCE = RULES["neutrality.electoral_silence"]
PARTISAN = RULES["neutrality.partisan"]
BILAN = RULES["neutrality.bilan"]

MUNICIPALES = ElectionWindowSnapshot(
    name="Municipales 2026",
    kind="municipal",
    window_start=date(2025, 9, 1),
    vote_dates=(date(2026, 3, 15), date(2026, 3, 22)),
)


def _paris(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def _post(
    text: str = "La mairie change d'horaires.",
    *,
    scheduled_for: datetime | None = None,
    checked_at: datetime | None = None,
    windows: tuple[ElectionWindowSnapshot, ...] = (MUNICIPALES,),
) -> PostSnapshot:
    return PostSnapshot(
        text=text,
        language="fr",
        renditions=(mastodon(text),),
        scheduled_for=scheduled_for,
        checked_at=checked_at,
        election_windows=windows,
    )


# --- neutrality.election_window ----------------------------------------------------------------


def test_election_window_inside_raises_the_tier_to_political() -> None:
    (finding,) = WINDOW_RULE.run(_post(scheduled_for=_paris(1, 12)))
    assert finding.severity is Severity.WARN
    assert finding.min_tier == "political"
    assert "Municipales 2026" in finding.message


@pytest.mark.parametrize(
    ("moment", "found"),
    [
        (_paris(8, 31, 23, 59, year=2025), False),
        (_paris(9, 1, 0, 0, year=2025), True),
        (_paris(3, 22, 23, 0), True),
        (_paris(3, 23, 0, 0), False),
    ],
)
def test_election_window_bounds_in_paris_time(moment: datetime, found: bool) -> None:
    assert bool(WINDOW_RULE.run(_post(scheduled_for=moment))) is found


def test_election_window_unscheduled_post_judged_at_check_time() -> None:
    assert WINDOW_RULE.run(_post(checked_at=_paris(2, 1)))
    assert WINDOW_RULE.run(_post(checked_at=_paris(4, 1))) == ()


def test_election_window_schedule_wins_over_check_time() -> None:
    assert WINDOW_RULE.run(_post(scheduled_for=_paris(4, 1), checked_at=_paris(2, 1))) == ()


def test_election_window_no_time_no_finding() -> None:
    assert WINDOW_RULE.run(_post()) == ()


def test_election_window_no_configured_election_no_finding() -> None:
    assert WINDOW_RULE.run(_post(scheduled_for=_paris(1, 12), windows=())) == ()


def test_election_window_one_finding_per_open_election() -> None:
    national = ElectionWindowSnapshot(
        "Européennes", "european", date(2025, 12, 1), (date(2026, 6, 7),)
    )
    findings = WINDOW_RULE.run(_post(scheduled_for=_paris(1, 12), windows=(MUNICIPALES, national)))
    assert [f.message.count("Européennes") for f in findings] == [0, 1]


# --- neutrality.electoral_silence --------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "blocked"),
    [
        (_paris(3, 12, 23, 59), False),  # Thursday night
        (datetime(2026, 3, 13, 23, 59, 59, tzinfo=PARIS), False),  # two days before, last second
        (_paris(3, 14, 0, 0), True),  # L49: the eve of the vote at 00:00
        (_paris(3, 14, 9, 30), True),  # Saturday
        (datetime(2026, 3, 15, 19, 59, 59, tzinfo=PARIS), True),  # polls still open
        (_paris(3, 15, 20, 0), False),  # polls closed
        (_paris(3, 20, 23, 59), False),  # Friday before the second round
        (_paris(3, 21, 0, 0), True),  # the second round's eve
        (_paris(3, 21, 10, 0), True),  # the second round too
        (_paris(3, 18, 10, 0), False),  # between the rounds
    ],
)
def test_electoral_silence_starts_at_midnight_on_the_eve(moment: datetime, blocked: bool) -> None:
    findings = SILENCE.run(_post(scheduled_for=moment))
    assert bool(findings) is blocked
    assert all(f.severity is Severity.BLOCK for f in findings)


def test_electoral_silence_unscheduled_post_judged_at_check_time() -> None:
    assert SILENCE.run(_post(checked_at=_paris(3, 14, 0, 0)))
    assert SILENCE.run(_post(checked_at=datetime(2026, 3, 13, 23, 59, 59, tzinfo=PARIS))) == ()


def test_electoral_silence_in_the_elections_time_zone() -> None:
    # Martinique (UTC-4) votes on Saturday 14 March for a national election: its eve starts at
    # 00:00 local on Friday 13 (05:00 in Paris) and its polls close at 18:00 local.
    martinique = ElectionWindowSnapshot(
        "Présidentielle (Martinique)",
        "presidential",
        date(2025, 9, 1),
        (date(2026, 3, 14),),
        time_zone="America/Martinique",
        polls_close=time(18, 0),
    )
    local = ZoneInfo("America/Martinique")

    def run(moment: datetime) -> bool:
        return bool(SILENCE.run(_post(scheduled_for=moment, windows=(martinique,))))

    assert not run(datetime(2026, 3, 12, 23, 59, 59, tzinfo=local))
    assert run(datetime(2026, 3, 13, 0, 0, tzinfo=local))
    assert run(datetime(2026, 3, 14, 17, 59, tzinfo=local))
    assert not run(datetime(2026, 3, 14, 18, 0, tzinfo=local))


def test_electoral_silence_elections_own_closing_time_beats_the_charter() -> None:
    early = ElectionWindowSnapshot(
        "Partielle", "municipal", date(2025, 9, 1), (date(2026, 3, 15),), polls_close=time(18)
    )
    assert SILENCE.run(_post(scheduled_for=_paris(3, 15, 17, 59), windows=(early,)))
    assert SILENCE.run(_post(scheduled_for=_paris(3, 15, 18, 0), windows=(early,))) == ()


def test_electoral_silence_compares_utc_times_in_paris() -> None:
    # 18:30 UTC on Sunday 15 March is 19:30 in Paris: the polls are still open.
    assert SILENCE.run(_post(scheduled_for=datetime(2026, 3, 15, 18, 30, tzinfo=UTC)))
    assert SILENCE.run(_post(scheduled_for=datetime(2026, 3, 15, 19, 0, tzinfo=UTC))) == ()


def test_electoral_silence_message_says_when_it_ends() -> None:
    with translation.override("fr"):
        (finding,) = SILENCE.run(_post(scheduled_for=_paris(3, 14, 9, 30)))
    assert "Municipales 2026" in finding.message
    assert "14 mars 2026 00:00" in finding.message
    assert "15 mars 2026 20:00" in finding.message


def test_electoral_silence_hours_before_parameter_starts_it_earlier() -> None:
    friday_noon = _post(scheduled_for=_paris(3, 13, 12))
    assert SILENCE.run(friday_noon) == ()
    assert SILENCE.run(friday_noon, {"hours_before": 48})


def test_electoral_silence_polls_close_parameter() -> None:
    assert SILENCE.run(_post(scheduled_for=_paris(3, 15, 18, 30)), {"polls_close": 18}) == ()


def test_electoral_silence_is_not_waivable() -> None:
    assert SILENCE.waivable is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"hours_before": 12}, "between 24 and 168"), ({"polls_close": 23}, "between 18 and 22")],
)
def test_electoral_silence_params_refused(value: dict[str, object], expected: str) -> None:
    with pytest.raises(CharterParamsError, match=expected):
        normalize_params({"neutrality.electoral_silence": value})


# --- neutrality.partisan -----------------------------------------------------------------------


def test_partisan_inside_window_blocks_with_span() -> None:
    text = "Merci aux élus du Parti socialiste."
    (finding,) = PARTISAN.run(_post(text, scheduled_for=_paris(1, 12)))
    assert finding.severity is Severity.BLOCK
    assert text[slice(*finding.span or (0, 0))] == "Parti socialiste"


def test_partisan_outside_window_warns() -> None:
    (finding,) = PARTISAN.run(
        _post("Le Parti socialiste a voté la loi.", scheduled_for=_paris(5, 1))
    )
    assert finding.severity is Severity.WARN


def test_partisan_charter_lowered_severity_stays_warn_inside_window() -> None:
    text = "Le Rassemblement national."
    findings = PARTISAN.run(_post(text, scheduled_for=_paris(1, 12)), None, Severity.WARN)
    assert [f.severity for f in findings] == [Severity.WARN]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("vive LA FRANCE INSOUMISE !", (5, 24)),
        ("Les Republicains", (0, 16)),  # without the accent
        ("avec le MoDem", (8, 13)),
        ("Avec Les Écologistes", (5, 20)),
        ("RENAISSANCE et HORIZONS", (0, 11)),
    ],
)
def test_partisan_found_whatever_case_and_accents(text: str, span: tuple[int, int]) -> None:
    assert PARTISAN.run(_post(text))[0].span == span


@pytest.mark.parametrize(
    "text",
    [
        "Branchez le modem.",
        "La reconquête des berges commence.",
        "Les écologistes de la ville et les républicains espagnols",
        "Une renaissance du quartier, de nouveaux horizons.",
    ],
)
def test_partisan_ordinary_words_pass_unless_capitalised(text: str) -> None:
    assert PARTISAN.run(_post(text, scheduled_for=_paris(1, 12))) == ()


def test_partisan_charter_terms_in_lowercase_found_whatever_the_case() -> None:
    text = "Vive le Parti Du Progrès"
    (finding,) = PARTISAN.run(_post(text), {"terms": ["parti du progrès"]})
    assert finding.span == (8, 24)


def test_partisan_whole_words_only() -> None:
    assert PARTISAN.run(_post("Un modèle de modemisation ; la reconquêtes")) == ()


def test_partisan_charter_slogan_list() -> None:
    text = "Ensemble pour demain !"
    (finding,) = PARTISAN.run(_post(text), {"terms": ["Ensemble pour demain"]})
    assert finding.span == (0, 20)


def test_electoral_silence_cannot_be_lowered_or_disabled_by_a_charter() -> None:
    from charter.engine import CharterParamsError, normalize_params

    for params in (
        {"severities": {"neutrality.electoral_silence": "warn"}},
        {"disabled": ["neutrality.electoral_silence"]},
    ):
        with pytest.raises(CharterParamsError) as info:
            normalize_params(params)
        assert "legal obligation" in str(info.value.messages)

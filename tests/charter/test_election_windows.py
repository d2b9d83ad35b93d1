from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.db import IntegrityError

from accounts.models import OrgUnit
from charter.models import ElectionWindow
from charter.selectors import election_windows_for_unit
from tests.factories import make_unit

pytestmark = pytest.mark.django_db

TODAY = date(2026, 1, 12)


@pytest.fixture
def tree() -> dict[str, OrgUnit]:
    ministry = make_unit(name="Ministère", code="min", kind=OrgUnit.Kind.MINISTRY)
    town = make_unit(name="Mairie", code="mairie", parent=ministry)
    annex = make_unit(name="Mairie annexe", code="annexe", parent=town)
    other = make_unit(name="Autre", code="autre", parent=ministry)
    return {"ministry": ministry, "town": town, "annex": annex, "other": other}


def _window(name: str, unit: OrgUnit | None, first: date, **fields: object) -> ElectionWindow:
    return ElectionWindow.objects.create(
        name=name, kind=ElectionWindow.Kind.MUNICIPAL, unit=unit, first_round=first, **fields
    )


def test_election_window_snapshot_defaults_start_to_l52_1() -> None:
    window = _window("Municipales", None, date(2026, 3, 15), second_round=date(2026, 3, 22))
    snapshot = window.to_snapshot()
    assert snapshot.window_start == date(2025, 9, 1)
    assert snapshot.vote_dates == (date(2026, 3, 15), date(2026, 3, 22))
    assert snapshot.kind == "municipal"


def test_election_window_snapshot_keeps_explicit_start() -> None:
    window = _window("Partielle", None, date(2026, 3, 15), window_start=date(2026, 2, 1))
    assert window.to_snapshot().window_start == date(2026, 2, 1)
    assert window.to_snapshot().vote_dates == (date(2026, 3, 15),)


def test_election_window_second_round_must_follow_first() -> None:
    with pytest.raises(IntegrityError):
        _window("X", None, date(2026, 3, 15), second_round=date(2026, 3, 15))


def test_election_window_start_must_not_follow_the_vote() -> None:
    with pytest.raises(IntegrityError):
        _window("X", None, date(2026, 3, 15), window_start=date(2026, 3, 16))


def test_election_windows_for_unit_inherited_down_the_tree(tree: dict[str, OrgUnit]) -> None:
    _window("Nationale", None, date(2026, 6, 7))
    _window("Ministère", tree["ministry"], date(2026, 5, 1))
    _window("Municipales", tree["town"], date(2026, 3, 15))
    _window("Ailleurs", tree["other"], date(2026, 3, 15))
    names = [w.name for w in election_windows_for_unit(tree["annex"], today=TODAY)]
    assert names == ["Municipales", "Ministère", "Nationale"]


def test_election_windows_for_unit_not_from_below(tree: dict[str, OrgUnit]) -> None:
    _window("Municipales", tree["annex"], date(2026, 3, 15))
    assert election_windows_for_unit(tree["town"], today=TODAY) == ()


def test_election_windows_for_unit_skips_past_elections(tree: dict[str, OrgUnit]) -> None:
    _window("Passée", None, date(2025, 12, 1), second_round=date(2025, 12, 8))
    _window("Second tour à venir", None, date(2026, 1, 5), second_round=date(2026, 1, 12))
    names = [w.name for w in election_windows_for_unit(tree["town"], today=TODAY)]
    assert names == ["Second tour à venir"]


def test_election_window_registered_in_admin() -> None:
    assert admin.site.is_registered(ElectionWindow)

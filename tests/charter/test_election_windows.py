from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.test import Client

from accounts.models import Membership, OrgUnit
from accounts.services import membership_create
from charter import services
from charter.models import ElectionWindow
from charter.selectors import election_windows_for_unit
from tests.factories import make_unit, make_user

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


def test_election_window_save_by_unit_admin(tree: dict[str, OrgUnit]) -> None:
    admin_user = make_user()
    membership_create(user=admin_user, unit=tree["ministry"], role=Membership.Role.ADMIN)
    window = ElectionWindow(
        name="Municipales", kind="municipal", unit=tree["town"], first_round=date(2026, 3, 15)
    )
    services.election_window_save(window=window, by=admin_user)
    assert ElectionWindow.objects.get().unit == tree["town"]


def test_election_window_save_refused_outside_the_admins_units(tree: dict[str, OrgUnit]) -> None:
    admin_user = make_user()
    membership_create(user=admin_user, unit=tree["other"], role=Membership.Role.ADMIN)
    window = ElectionWindow(
        name="Municipales", kind="municipal", unit=tree["town"], first_round=date(2026, 3, 15)
    )
    with pytest.raises(PermissionDenied):
        services.election_window_save(window=window, by=admin_user)


def test_election_window_save_organisation_wide_only_by_superuser(
    tree: dict[str, OrgUnit],
) -> None:
    admin_user = make_user()
    membership_create(user=admin_user, unit=tree["ministry"], role=Membership.Role.ADMIN)
    window = ElectionWindow(name="Européennes", kind="european", first_round=date(2026, 6, 7))
    with pytest.raises(PermissionDenied):
        services.election_window_save(window=window, by=admin_user)
    services.election_window_save(window=window, by=make_user(is_superuser=True))
    assert ElectionWindow.objects.count() == 1


def test_election_window_save_moving_needs_the_right_on_the_old_unit(
    tree: dict[str, OrgUnit],
) -> None:
    window = _window("Municipales", tree["other"], date(2026, 3, 15))
    admin_user = make_user()
    membership_create(user=admin_user, unit=tree["town"], role=Membership.Role.ADMIN)
    window.unit = tree["town"]
    with pytest.raises(PermissionDenied):
        services.election_window_save(window=window, by=admin_user)


def test_election_window_save_refuses_second_round_first(tree: dict[str, OrgUnit]) -> None:
    window = ElectionWindow(
        name="X",
        kind="municipal",
        first_round=date(2026, 3, 22),
        second_round=date(2026, 3, 15),
    )
    with pytest.raises(ValidationError, match="second round must come after the first"):
        services.election_window_save(window=window, by=make_user(is_superuser=True))


def test_election_window_admin_creates_through_the_service(
    admin_client: Client, tree: dict[str, OrgUnit]
) -> None:
    response = admin_client.post(
        "/admin/charter/electionwindow/add/",
        {
            "name": "Municipales",
            "kind": "municipal",
            "unit": tree["town"].pk,
            "window_start": "",
            "first_round": "2026-03-15",
            "second_round": "2026-03-22",
            "time_zone": "Europe/Paris",  # the form's initial value
        },
    )
    assert response.status_code == 302
    window = ElectionWindow.objects.get()
    assert window.to_snapshot().window_start == date(2025, 9, 1)


def test_election_window_snapshot_carries_time_zone_and_polls_close() -> None:
    from datetime import time

    window = _window(
        "Présidentielle (Martinique)",
        None,
        date(2027, 4, 10),
        time_zone="America/Martinique",
        polls_close=time(18, 0),
    )
    snapshot = window.to_snapshot()
    assert (snapshot.time_zone, snapshot.polls_close) == ("America/Martinique", time(18, 0))
    assert _window("Municipales", None, date(2026, 3, 15)).to_snapshot().time_zone == (
        "Europe/Paris"
    )


def test_election_window_unknown_time_zone_refused_in_words() -> None:
    window = ElectionWindow(
        name="X", kind=ElectionWindow.Kind.MUNICIPAL, first_round=date(2026, 3, 15)
    )
    window.time_zone = "Europe/Atlantis"
    with pytest.raises(ValidationError) as info:
        window.full_clean()
    assert "is not a time zone" in str(info.value.message_dict["time_zone"])

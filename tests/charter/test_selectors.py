from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from accounts.models import OrgUnit
from charter.engine import CharterConfig
from charter.models import Charter, CharterVersion
from charter.selectors import charter_config_for_unit, charter_version_for_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree() -> dict[str, OrgUnit]:
    ministry = OrgUnit.objects.create(name="Ministère", code="min", kind=OrgUnit.Kind.MINISTRY)
    direction = OrgUnit.objects.create(
        name="DGX", code="dgx", kind=OrgUnit.Kind.DIRECTION, parent=ministry
    )
    service = OrgUnit.objects.create(
        name="Service", code="svc", kind=OrgUnit.Kind.SERVICE, parent=direction
    )
    bureau = OrgUnit.objects.create(
        name="Bureau", code="bur", kind=OrgUnit.Kind.BUREAU, parent=service
    )
    return {"ministry": ministry, "direction": direction, "service": service, "bureau": bureau}


def _charter(name: str, unit: OrgUnit | None, versions: int = 1) -> Charter:
    charter = Charter.objects.create(name=name, unit=unit)
    for number in range(1, versions + 1):
        CharterVersion.objects.create(charter=charter, number=number)
    return charter


def test_charter_config_for_unit_without_any_charter_is_the_default(
    tree: dict[str, OrgUnit],
) -> None:
    assert charter_config_for_unit(tree["bureau"]) == CharterConfig.default()


def test_charter_config_for_unit_falls_back_to_the_organisation_charter(
    tree: dict[str, OrgUnit],
) -> None:
    _charter("Charte commune", None)
    assert charter_config_for_unit(tree["bureau"]).version_label == "Charte commune v1"


def test_charter_config_for_unit_takes_the_nearest_ancestor(tree: dict[str, OrgUnit]) -> None:
    _charter("Charte commune", None)
    _charter("Charte ministère", tree["ministry"])
    _charter("Charte DGX", tree["direction"])
    assert charter_config_for_unit(tree["bureau"]).version_label == "Charte DGX v1"


def test_charter_config_for_unit_prefers_the_unit_own_charter(tree: dict[str, OrgUnit]) -> None:
    _charter("Charte DGX", tree["direction"])
    _charter("Charte bureau", tree["bureau"])
    assert charter_config_for_unit(tree["bureau"]).version_label == "Charte bureau v1"


def test_charter_config_for_unit_ignores_charters_below(tree: dict[str, OrgUnit]) -> None:
    _charter("Charte bureau", tree["bureau"])
    assert charter_config_for_unit(tree["direction"]) == CharterConfig.default()


def test_charter_config_for_unit_takes_the_latest_version(tree: dict[str, OrgUnit]) -> None:
    charter = _charter("Charte DGX", tree["direction"], versions=3)
    config = charter_config_for_unit(tree["service"])
    assert config.version_label == "Charte DGX v3"
    assert config.version_id == charter.versions.get(number=3).pk


def test_charter_config_for_unit_skips_a_charter_without_versions(tree: dict[str, OrgUnit]) -> None:
    _charter("Charte ministère", tree["ministry"])
    _charter("Charte DGX", tree["direction"], versions=0)
    assert charter_config_for_unit(tree["service"]).version_label == "Charte ministère v1"


def test_charter_version_for_unit_queries_stay_few(
    tree: dict[str, OrgUnit], django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _charter("Charte commune", None)
    bureau = OrgUnit.objects.get(pk=tree["bureau"].pk)
    with django_assert_max_num_queries(6):  # 3 to walk up the tree, 2 to choose and load
        assert charter_version_for_unit(bureau) is not None

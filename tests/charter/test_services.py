from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Membership, OrgUnit, User
from charter.models import Charter
from charter.services import charter_create, charter_version_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def direction() -> OrgUnit:
    ministry = OrgUnit.objects.create(name="Ministère", code="min", kind=OrgUnit.Kind.MINISTRY)
    return OrgUnit.objects.create(
        name="DGX", code="dgx", kind=OrgUnit.Kind.DIRECTION, parent=ministry
    )


@pytest.fixture
def admin_of_ministry(direction: OrgUnit) -> User:
    user = User.objects.create_user("alice", password="x")
    ministry = direction.parent
    assert ministry is not None
    Membership.objects.create(user=user, unit=ministry, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", password="x")


def test_charter_create_by_an_admin_of_a_unit_above(
    direction: OrgUnit, admin_of_ministry: User
) -> None:
    charter = charter_create(name="Charte DGX", unit=direction, by=admin_of_ministry)
    assert (charter.name, charter.unit) == ("Charte DGX", direction)


def test_charter_create_refused_to_a_mere_author(direction: OrgUnit) -> None:
    author = User.objects.create_user("bob", password="x")
    Membership.objects.create(user=author, unit=direction, role=Membership.Role.AUTHOR)
    with pytest.raises(PermissionDenied):
        charter_create(name="Charte DGX", unit=direction, by=author)


def test_charter_create_organisation_wide_needs_a_superuser(
    admin_of_ministry: User, superuser: User
) -> None:
    with pytest.raises(PermissionDenied):
        charter_create(name="Charte commune", unit=None, by=admin_of_ministry)
    assert charter_create(name="Charte commune", unit=None, by=superuser).unit is None


def test_charter_create_second_charter_for_a_unit_refused(
    direction: OrgUnit, superuser: User
) -> None:
    charter_create(name="A", unit=direction, by=superuser)
    with pytest.raises(ValidationError):
        charter_create(name="B", unit=direction, by=superuser)


def test_charter_version_create_numbers_versions(
    direction: OrgUnit, admin_of_ministry: User
) -> None:
    charter = charter_create(name="Charte DGX", unit=direction, by=admin_of_ministry)
    first = charter_version_create(charter=charter, params={}, by=admin_of_ministry)
    second = charter_version_create(
        charter=charter, params={"terms.forbidden": {"terms": ["ASAP"]}}, by=admin_of_ministry
    )
    assert (first.number, second.number) == (1, 2)
    assert second.created_by == admin_of_ministry
    assert first.params == {}


def test_charter_version_create_stores_normalized_params(superuser: User) -> None:
    charter = charter_create(name="Charte commune", unit=None, by=superuser)
    version = charter_version_create(
        charter=charter, params={"terms.forbidden": {"terms": ["  ASAP "]}}, by=superuser
    )
    version.refresh_from_db()
    assert version.params == {"terms.forbidden": {"terms": ["ASAP"]}}


def test_charter_version_create_refuses_unknown_rule_code(superuser: User) -> None:
    charter = charter_create(name="Charte commune", unit=None, by=superuser)
    with pytest.raises(ValidationError) as caught:
        charter_version_create(charter=charter, params={"len.twitter": {}}, by=superuser)
    assert "Unknown rule code “len.twitter”" in caught.value.message_dict["params"][0]
    assert not charter.versions.exists()


def test_charter_version_create_refuses_wrong_types(superuser: User) -> None:
    charter = charter_create(name="Charte commune", unit=None, by=superuser)
    with pytest.raises(ValidationError) as caught:
        charter_version_create(
            charter=charter, params={"terms.forbidden": {"terms": "ASAP"}}, by=superuser
        )
    assert "expected a list of texts" in caught.value.message_dict["params"][0]


def test_charter_version_create_refused_to_an_admin_of_another_unit(
    direction: OrgUnit, superuser: User
) -> None:
    other = OrgUnit.objects.create(name="Autre", code="autre", kind=OrgUnit.Kind.MINISTRY)
    stranger = User.objects.create_user("carol", password="x")
    Membership.objects.create(user=stranger, unit=other, role=Membership.Role.ADMIN)
    charter = charter_create(name="Charte DGX", unit=direction, by=superuser)
    with pytest.raises(PermissionDenied):
        charter_version_create(charter=charter, params={}, by=stranger)


def test_charter_version_create_refused_to_an_inactive_superuser(superuser: User) -> None:
    charter = Charter.objects.create(name="Charte commune")
    superuser.is_active = False
    with pytest.raises(PermissionDenied):
        charter_version_create(charter=charter, params={}, by=superuser)

"""An account's own charter is versioned by who manages the account's unit (it was a
superuser's alone: the service looked at the charter's unit, which an account charter has
not), and by nobody else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, User
from accounts.services import membership_create
from charter.models import Charter
from charter.services import charter_create, charter_unit, charter_version_create
from editorial.models import AuditEvent
from tests.conftest import Org
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.django_db


def _account_charter(org: Org) -> tuple[Charter, User]:
    admin = make_user(username="chef")
    membership_create(user=admin, unit=org.service, role=Membership.Role.ADMIN)
    charter = charter_create(name="Charte du compte", unit=None, account=org.mastodon, by=admin)
    return charter, admin


def test_charter_unit_of_an_account_charter_is_the_accounts_unit(org: Org) -> None:
    charter, _admin = _account_charter(org)
    assert charter_unit(charter) == org.service


def test_charter_version_create_on_an_account_charter_by_its_units_admin(org: Org) -> None:
    charter, admin = _account_charter(org)
    version = charter_version_create(charter=charter, params={"disabled": ["a11y.emoji"]}, by=admin)
    assert version.number == 1
    event = AuditEvent.objects.get(verb="charter_version_created")
    assert event.actor == admin and event.data["account"]["id"] == org.mastodon.pk


def test_charter_version_create_on_an_account_charter_refused_to_another_units_admin(
    org: Org,
) -> None:
    charter, _admin = _account_charter(org)
    stranger = make_user(username="autre")
    membership_create(
        user=stranger,
        unit=make_unit(name="Ailleurs", code="ailleurs", parent=org.ministry),
        role=Membership.Role.ADMIN,
    )
    with pytest.raises(PermissionDenied):
        charter_version_create(charter=charter, params={}, by=stranger)
    assert not charter.versions.exists()

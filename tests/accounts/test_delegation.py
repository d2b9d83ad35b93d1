from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError

from tests.conftest import Org
from tests.factories import make_delegation, make_user


def test_delegation_refuses_a_range_ending_before_it_starts(org: Org) -> None:
    with pytest.raises(IntegrityError):
        make_delegation(org.manager, make_user(), date(2026, 3, 10), date(2026, 3, 9))


def test_delegation_refuses_delegating_to_oneself(org: Org) -> None:
    with pytest.raises(IntegrityError):
        make_delegation(org.manager, org.manager, date(2026, 3, 1), date(2026, 3, 9))


def test_delegation_is_active_on_both_ends_of_its_range(org: Org) -> None:
    delegation = make_delegation(org.manager, make_user(), date(2026, 3, 1), date(2026, 3, 9))
    assert delegation.is_active_on(date(2026, 3, 1))
    assert delegation.is_active_on(date(2026, 3, 9))
    assert not delegation.is_active_on(date(2026, 3, 10))


def test_delegation_with_a_unit_covers_that_unit_and_below_only(org: Org) -> None:
    delegation = make_delegation(
        org.manager, make_user(), date(2026, 3, 1), date(2026, 3, 9), unit=org.service
    )
    assert delegation.covers(org.service)
    assert not delegation.covers(org.ministry)
    assert not delegation.covers(None)

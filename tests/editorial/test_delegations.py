"""Self-service delegations: a member names a deputy for some days, and ends it early."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import Delegation, Membership, User
from accounts.services import membership_create
from editorial import policies, services
from editorial.models import AuditEvent
from editorial.services import EditorialError, delegations
from tests.conftest import Org
from tests.factories import make_delegation, make_user

TODAY = dt.date(2026, 3, 10)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def deputy(org: Org) -> User:
    user = make_user(username="deputy", first_name="Ana", last_name="Suppléante")
    # An author: whatever they may approve, they may only as the manager's deputy.
    membership_create(user=user, unit=org.service, role=Membership.Role.AUTHOR)
    return user


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _create(org: Org, deputy: User, **kwargs: Any) -> Delegation:
    values: dict[str, Any] = {"starts_on": TODAY, "ends_on": TODAY + 5 * DAY}
    values.update(kwargs)
    return delegations.delegation_create(by=org.manager, deputy=deputy, **values)


def test_delegation_create_lends_the_approval_rights(org: Org, deputy: User) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte")
    services.post_submit(post=post, by=org.officer)
    _create(org, deputy)
    step = policies.open_step(policies.chain_status(post))
    assert step is not None and step.rights[deputy.pk] == org.manager.pk


def test_delegation_create_is_audited(org: Org, deputy: User) -> None:
    delegation = _create(org, deputy, unit=org.service)
    event = AuditEvent.objects.get(verb="delegation_created")
    assert event.actor == org.manager
    assert event.data["delegation_id"] == delegation.pk
    assert event.data["deputy"] == {"id": deputy.pk, "name": str(deputy)}
    assert event.data["unit"]["id"] == org.service.pk


def test_delegation_create_refuses_self(org: Org) -> None:
    with pytest.raises(EditorialError, match="your own deputy"):
        delegations.delegation_create(
            by=org.manager, deputy=org.manager, starts_on=TODAY, ends_on=TODAY
        )


def test_delegation_create_refuses_a_start_in_the_past(org: Org, deputy: User) -> None:
    with pytest.raises(EditorialError, match="past"):
        _create(org, deputy, starts_on=TODAY - DAY)


def test_delegation_create_refuses_an_end_before_the_start(org: Org, deputy: User) -> None:
    with pytest.raises(EditorialError, match="before the first"):
        _create(org, deputy, starts_on=TODAY + 3 * DAY, ends_on=TODAY + DAY)


def test_delegation_create_refuses_a_deputy_outside_the_members_units(org: Org) -> None:
    with pytest.raises(EditorialError, match="not an active member of your units"):
        delegations.delegation_create(
            by=org.manager, deputy=org.outsider, starts_on=TODAY, ends_on=TODAY
        )


def test_delegation_create_refuses_an_inactive_deputy(org: Org, deputy: User) -> None:
    deputy.is_active = False
    deputy.save()
    with pytest.raises(EditorialError, match="not an active member"):
        _create(org, deputy)


def test_delegation_create_refuses_a_unit_where_the_member_has_no_role(
    org: Org, deputy: User
) -> None:
    with pytest.raises(EditorialError, match="no role in"):
        _create(org, deputy, unit=org.ministry)


def test_delegation_create_refuses_an_overlap_with_the_same_deputy(org: Org, deputy: User) -> None:
    _create(org, deputy)
    with pytest.raises(EditorialError, match="already your deputy"):
        _create(org, deputy, starts_on=TODAY + 2 * DAY, ends_on=TODAY + 9 * DAY)


def test_delegation_end_ends_a_started_one_yesterday(org: Org, deputy: User) -> None:
    delegation = make_delegation(org.manager, deputy, TODAY - 2 * DAY, TODAY + 5 * DAY)
    ended = delegations.delegation_end(delegation=delegation, by=org.manager)
    assert ended is not None and ended.ends_on == TODAY - DAY
    assert not ended.is_active_on(TODAY)
    assert AuditEvent.objects.get(verb="delegation_ended").data["cancelled"] is False


def test_delegation_end_cancels_one_that_has_not_started_before_today(
    org: Org, deputy: User
) -> None:
    delegation = _create(org, deputy)
    assert delegations.delegation_end(delegation=delegation, by=org.manager) is None
    assert not Delegation.objects.exists()
    event = AuditEvent.objects.get(verb="delegation_ended")
    assert (event.data["cancelled"], event.data["delegation_id"]) == (True, delegation.pk)


def test_delegation_end_refuses_the_deputy(org: Org, deputy: User) -> None:
    delegation = _create(org, deputy)
    with pytest.raises(PermissionDenied):
        delegations.delegation_end(delegation=delegation, by=deputy)
    assert Delegation.objects.filter(pk=delegation.pk).exists()


def test_delegation_end_refuses_one_already_over(org: Org, deputy: User) -> None:
    delegation = make_delegation(org.manager, deputy, TODAY - 5 * DAY, TODAY - DAY)
    with pytest.raises(EditorialError, match="already over"):
        delegations.delegation_end(delegation=delegation, by=org.manager)


# --- the page ----------------------------------------------------------------------------


def test_delegation_page_lists_given_and_received(org: Org, deputy: User) -> None:
    _create(org, deputy)
    mine = _client(org.manager).get(reverse("editorial:delegations")).content.decode()
    theirs = _client(deputy).get(reverse("editorial:delegations")).content.decode()
    assert 'id="given"' in mine and str(deputy) in mine.split('id="given"', 1)[1]
    assert 'id="received"' in theirs and str(org.manager) in theirs.split('id="received"', 1)[1]


def test_delegation_page_offers_only_colleagues_as_deputies(org: Org, deputy: User) -> None:
    page = _client(org.manager).get(reverse("editorial:delegations")).content.decode()
    form = page.split('id="delegation-form"', 1)[1]
    assert f'value="{deputy.pk}"' in form and f'value="{org.officer.pk}"' in form
    assert f'value="{org.outsider.pk}"' not in form


def test_delegation_page_creates(org: Org, deputy: User) -> None:
    response = _client(org.manager).post(
        reverse("editorial:delegations"),
        {"deputy": deputy.pk, "starts_on": "2026-03-10", "ends_on": "2026-03-12"},
    )
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.from_user, delegation.to_user, delegation.unit) == (
        org.manager,
        deputy,
        None,
    )


def test_delegation_page_refusal_is_shown_and_nothing_created(org: Org, deputy: User) -> None:
    response = _client(org.manager).post(
        reverse("editorial:delegations"),
        {"deputy": deputy.pk, "starts_on": "2026-03-01", "ends_on": "2026-03-12"},
        follow=True,
    )
    assert "cannot start in the past" in response.content.decode()
    assert not Delegation.objects.exists()


def test_delegation_page_ends_ones_own(org: Org, deputy: User) -> None:
    delegation = make_delegation(org.manager, deputy, TODAY - 2 * DAY, TODAY + 2 * DAY)
    _client(org.manager).post(reverse("editorial:delegation_end", args=[delegation.pk]))
    delegation.refresh_from_db()
    assert delegation.ends_on == TODAY - DAY


def test_delegation_page_deputy_cannot_end_it(org: Org, deputy: User) -> None:
    delegation = make_delegation(org.manager, deputy, TODAY - 2 * DAY, TODAY + 2 * DAY)
    response = _client(deputy).post(
        reverse("editorial:delegation_end", args=[delegation.pk]), follow=True
    )
    assert "who gave this delegation" in response.content.decode()
    delegation.refresh_from_db()
    assert delegation.ends_on == TODAY + 2 * DAY


def test_delegation_page_someone_elses_is_404(org: Org, deputy: User) -> None:
    delegation = make_delegation(org.manager, deputy, TODAY, TODAY + 2 * DAY)
    response = _client(org.officer).post(reverse("editorial:delegation_end", args=[delegation.pk]))
    assert response.status_code == 404
    assert Delegation.objects.filter(pk=delegation.pk).exists()


def test_delegation_page_end_needs_post(org: Org, deputy: User) -> None:
    delegation = make_delegation(org.manager, deputy, TODAY, TODAY + 2 * DAY)
    response = _client(org.manager).get(reverse("editorial:delegation_end", args=[delegation.pk]))
    assert response.status_code == 405


def test_navigation_links_the_delegation_page(org: Org) -> None:
    page = _client(org.officer).get(reverse("editorial:dashboard")).content.decode()
    assert f'href="{reverse("editorial:delegations")}"' in page

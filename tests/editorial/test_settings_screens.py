"""The configuration screens (hub, members and roles, rights on one account, election periods):
unit administrators change the organisation without the Django admin, through the services;
every change is audited, refusals are in words, and nothing leaves their units."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import organisation, permissions
from accounts.models import AccountGrant, Membership, OrgUnit, User
from accounts.services import membership_create
from charter.models import ElectionWindow
from editorial.models import AuditEvent
from tests.conftest import Org
from tests.factories import make_account, make_user

P = permissions.Perm
pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def chief(org: Org) -> User:
    """Administrator of the service (not of the ministry, nor of its sibling ``autre``)."""
    user = make_user(username="chief", first_name="Claire", last_name="Chef")
    membership_create(user=user, unit=org.service, role=Membership.Role.ADMIN)
    return user


def _client(user: User, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # has_perm caches the rows on the instance


def _other(org: Org) -> OrgUnit:
    return OrgUnit.objects.get(code="autre")


# --- the hub -----------------------------------------------------------------------------------


def test_settings_hub_shows_the_administered_units_and_their_accounts(
    org: Org, chief: User
) -> None:
    body = _client(chief).get(reverse("editorial:settings")).content.decode()
    assert reverse("editorial:settings_members", args=[org.service.pk]) in body
    assert reverse("editorial:settings_rights", args=[org.mastodon.pk]) in body
    assert reverse("editorial:settings_elections") in body
    assert reverse("editorial:freezes") in body
    assert reverse("editorial:settings_members", args=[_other(org).pk]) not in body


def test_settings_hub_ministry_admin_manages_the_units_below(org: Org) -> None:
    minister = make_user(username="minister")
    membership_create(user=minister, unit=org.ministry, role=Membership.Role.ADMIN)
    body = _client(minister).get(reverse("editorial:settings")).content.decode()
    for unit in (org.ministry, org.service, _other(org)):
        assert reverse("editorial:settings_members", args=[unit.pk]) in body


def test_settings_hub_refuses_who_administers_nothing_in_words(org: Org) -> None:
    response = _client(org.manager, "fr").get(reverse("editorial:settings"))
    assert response.status_code == 403
    assert "Vous n'administrez aucune unité" in response.content.decode()


def test_settings_hub_offers_a_superuser_every_area(db: None) -> None:
    from editorial.views import settings as views

    names = [area.url_name for area in views.AREAS]
    shown = [area.url_name for area, _url in views._area_links(make_user(is_superuser=True))]
    assert shown == names
    assert "editorial:settings_chains" in shown and "editorial:settings_elections" in shown


# --- members and roles --------------------------------------------------------------------------


def test_settings_members_lists_each_person_with_their_roles(org: Org, chief: User) -> None:
    body = _client(chief).get(reverse("editorial:settings_members", args=[org.service.pk]))
    text = body.content.decode()
    assert 'data-person="manager"' in text and 'data-role="publisher"' in text
    assert 'data-person="outsider"' not in text  # a member of the sibling unit


def test_settings_members_add_a_reviewer_through_the_service_audited(org: Org, chief: User) -> None:
    url = reverse("editorial:settings_members", args=[org.service.pk])
    response = _client(chief).post(url, {"person": "outsider", "role": "reviewer"})
    assert response.status_code == 302
    assert Membership.objects.filter(user=org.outsider, unit=org.service, role="reviewer").exists()
    assert permissions.can(_fresh(org.outsider), P.REVIEW, org.mastodon)
    event = AuditEvent.objects.get(verb="membership_created", data__role="reviewer")
    assert event.actor == chief
    assert event.data["person"]["id"] == org.outsider.pk


def test_settings_members_finds_a_person_by_email(org: Org, chief: User) -> None:
    org.outsider.email = "Agent@Exemple.gouv.fr"
    org.outsider.save()
    url = reverse("editorial:settings_members", args=[org.service.pk])
    _client(chief).post(url, {"person": "agent@exemple.gouv.fr", "role": "author"})
    assert Membership.objects.filter(user=org.outsider, unit=org.service, role="author").exists()


def test_settings_members_unknown_person_refused_in_words(org: Org, chief: User) -> None:
    url = reverse("editorial:settings_members", args=[org.service.pk])
    before = Membership.objects.count()
    response = _client(chief, "fr").post(url, {"person": "personne", "role": "reviewer"})
    assert response.status_code == 200
    assert "Aucune personne active" in response.content.decode()
    assert "personne" in response.content.decode()  # what was typed is kept
    assert Membership.objects.count() == before


def test_settings_members_of_another_unit_are_not_found(org: Org, chief: User) -> None:
    client = _client(chief)
    other = _other(org)
    assert client.get(reverse("editorial:settings_members", args=[other.pk])).status_code == 404
    response = client.post(
        reverse("editorial:settings_members", args=[other.pk]),
        {"person": "officer", "role": "admin"},
    )
    assert response.status_code == 404
    assert not Membership.objects.filter(unit=other, role="admin").exists()


def test_settings_membership_delete_ends_the_rights_of_the_role(org: Org, chief: User) -> None:
    assert permissions.can(org.manager, P.REVIEW, org.mastodon)
    membership = Membership.objects.get(user=org.manager, unit=org.service, role="reviewer")
    url = reverse("editorial:settings_membership_delete", args=[membership.pk])
    assert _client(chief).post(url).status_code == 302
    manager = _fresh(org.manager)
    assert not permissions.can(manager, P.REVIEW, org.mastodon)
    assert permissions.can(manager, P.PUBLISH, org.mastodon)  # the other role stays
    assert AuditEvent.objects.get(verb="membership_deleted").actor == chief
    assert AuditEvent.objects.filter(verb="rights_revoked").exists()


def test_settings_membership_delete_of_ones_own_last_administrator_role_refused(
    org: Org, chief: User
) -> None:
    # The only thing that lets the chief administer the service: removing it would lock them
    # out of the screen they are on, with nobody left to undo it.
    own = Membership.objects.get(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    url = reverse("editorial:settings_membership_delete", args=[own.pk])
    page = _client(chief, "fr").post(url, follow=True).content.decode()
    assert "Vous ne pouvez pas renoncer à votre propre rôle" in page
    assert Membership.objects.filter(pk=own.pk).exists()
    assert not AuditEvent.objects.filter(verb="membership_deleted").exists()
    assert permissions.may_manage_unit(_fresh(chief), org.service)


def test_settings_membership_delete_own_role_kept_elsewhere_or_by_another_admin(
    org: Org, chief: User
) -> None:
    own = Membership.objects.get(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    # Another administrator may take it away.
    colleague = make_user(username="colleague")
    membership_create(user=colleague, unit=org.service, role=Membership.Role.ADMIN)
    url = reverse("editorial:settings_membership_delete", args=[own.pk])
    assert _client(colleague).post(url).status_code == 302
    assert not Membership.objects.filter(pk=own.pk).exists()
    # An administrator of the unit above may give up the service's role: they keep control.
    membership_create(user=colleague, unit=org.ministry, role=Membership.Role.ADMIN)
    theirs = Membership.objects.get(user=colleague, unit=org.service, role=Membership.Role.ADMIN)
    url = reverse("editorial:settings_membership_delete", args=[theirs.pk])
    assert _client(colleague).post(url).status_code == 302
    assert not Membership.objects.filter(pk=theirs.pk).exists()
    assert AuditEvent.objects.filter(verb="membership_deleted").count() == 2


def test_giving_up_ones_own_administrator_role_refused_by_every_service(
    org: Org, chief: User
) -> None:
    from accounts.services import (
        OrganisationError,
        membership_change_role,
        membership_delete,
        membership_move,
    )

    own = Membership.objects.get(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    membership_create(user=chief, unit=_other(org), role=Membership.Role.ADMIN)
    with pytest.raises(OrganisationError, match="your own administrator role in"):
        membership_change_role(membership=own, role=Membership.Role.REVIEWER, by=chief)
    with pytest.raises(OrganisationError, match="your own administrator role in"):
        membership_move(membership=own, unit=_other(org), by=chief)
    with pytest.raises(OrganisationError, match="your own administrator role in"):
        membership_delete(membership=own, by=chief)
    own.refresh_from_db()
    assert (own.unit, own.role) == (org.service, Membership.Role.ADMIN)
    # The system (by=None: a command, the demo) is not held back.
    membership_change_role(membership=own, role=Membership.Role.REVIEWER, by=None)
    assert Membership.objects.get(pk=own.pk).role == Membership.Role.REVIEWER


def test_settings_membership_delete_refused_outside_the_units(org: Org, chief: User) -> None:
    membership = Membership.objects.get(user=org.outsider)
    url = reverse("editorial:settings_membership_delete", args=[membership.pk])
    assert _client(chief).post(url).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert (
        _client(org.manager)
        .post(
            reverse(
                "editorial:settings_membership_delete",
                args=[Membership.objects.get(user=org.officer).pk],
            )
        )
        .status_code
        == 404
    )


# --- rights on one account ----------------------------------------------------------------------


def test_settings_rights_say_where_each_right_comes_from(org: Org, chief: User) -> None:
    organisation.account_grant_create(
        user=org.officer, account=org.mastodon, right=P.WAIVE.value.split(".")[1], by=chief
    )
    body = _client(chief).get(reverse("editorial:settings_rights", args=[org.mastodon.pk]))
    text = body.content.decode()
    assert "Reviewer in sicom" in text and "Administrator in sicom" in text
    assert 'data-grant="waive_for_account"' in text
    assert "Individual grant" in text


def test_settings_rights_grant_then_revoke_audited(org: Org, chief: User) -> None:
    client = _client(chief)
    url = reverse("editorial:settings_rights", args=[org.mastodon.pk])
    response = client.post(url, {"person": "officer", "right": "urgent_publish_on_account"})
    assert response.status_code == 302
    assert permissions.can(_fresh(org.officer), P.URGENT, org.mastodon)
    assert not permissions.can(_fresh(org.officer), P.URGENT, org.bluesky)  # one account only
    assert AuditEvent.objects.get(verb="grant_created").actor == chief
    grant = AccountGrant.objects.get(user=org.officer)
    client.post(reverse("editorial:settings_grant_delete", args=[grant.pk]))
    assert not AccountGrant.objects.filter(pk=grant.pk).exists()
    assert not permissions.can(_fresh(org.officer), P.URGENT, org.mastodon)
    assert AuditEvent.objects.get(verb="grant_deleted").actor == chief


def test_settings_rights_revoking_a_grant_keeps_what_a_role_gives(org: Org, chief: User) -> None:
    grant = organisation.account_grant_create(
        user=org.manager, account=org.mastodon, right="review_for_account", by=chief
    )
    _client(chief).post(reverse("editorial:settings_grant_delete", args=[grant.pk]))
    assert permissions.can(_fresh(org.manager), P.REVIEW, org.mastodon)  # their role


def test_settings_rights_refused_outside_the_units(org: Org, chief: User) -> None:
    foreign = make_account(_other(org), "mastodon", handle="@autre@m.test")
    url = reverse("editorial:settings_rights", args=[foreign.pk])
    client = _client(chief)
    assert client.get(url).status_code == 404
    assert client.post(url, {"person": "chief", "right": "draft_for_account"}).status_code == 404
    assert not AccountGrant.objects.exists()
    grant = organisation.account_grant_create(
        user=org.officer, account=org.mastodon, right="waive_for_account", by=None
    )
    response = _client(org.manager).post(
        reverse("editorial:settings_grant_delete", args=[grant.pk])
    )
    assert response.status_code == 404
    assert AccountGrant.objects.filter(pk=grant.pk).exists()


# --- election periods ---------------------------------------------------------------------------

ELECTION = {
    "name": "Municipales 2032",
    "kind": "municipal",
    "first_round": "2032-03-14",
    "second_round": "2032-03-21",
    "window_start": "",
    "time_zone": "Europe/Paris",
    "polls_close": "",
}


def test_settings_elections_declare_one_audited(org: Org, chief: User) -> None:
    url = reverse("editorial:settings_elections")
    response = _client(chief).post(url, {**ELECTION, "unit": org.service.pk})
    assert response.status_code == 302
    window = ElectionWindow.objects.get()
    assert (window.unit, window.first_round) == (org.service, date(2032, 3, 14))
    event = AuditEvent.objects.get(verb="election_window_created")
    assert event.actor == chief and event.data["name"] == "Municipales 2032"
    listed = _client(chief).get(url).content.decode()
    assert "Municipales 2032" in listed and f'data-election="{window.pk}"' in listed


def test_settings_elections_refuse_a_unit_not_administered(org: Org, chief: User) -> None:
    response = _client(chief).post(
        reverse("editorial:settings_elections"), {**ELECTION, "unit": _other(org).pk}
    )
    assert response.status_code == 200 and response.context["form"].errors["unit"]
    blank = _client(chief).post(reverse("editorial:settings_elections"), ELECTION)
    assert blank.context["form"].errors["unit"]  # the whole organisation: superusers only
    assert not ElectionWindow.objects.exists()


def test_settings_elections_second_round_before_first_refused_in_words(
    org: Org, chief: User
) -> None:
    data = {**ELECTION, "unit": org.service.pk, "second_round": "2032-03-07"}
    response = _client(chief, "fr").post(reverse("editorial:settings_elections"), data)
    assert "Le second tour doit avoir lieu après le premier" in response.content.decode()
    assert not ElectionWindow.objects.exists()


def test_settings_elections_change_and_remove(org: Org, chief: User) -> None:
    window = ElectionWindow.objects.create(
        name="Municipales", kind="municipal", unit=org.service, first_round=date(2032, 3, 14)
    )
    client = _client(chief)
    edit = reverse("editorial:settings_election_edit", args=[window.pk])
    assert client.get(edit).status_code == 200
    client.post(edit, {**ELECTION, "unit": org.service.pk, "name": "Municipales partielles"})
    window.refresh_from_db()
    assert window.name == "Municipales partielles"
    assert AuditEvent.objects.get(verb="election_window_changed").actor == chief
    client.post(reverse("editorial:settings_election_delete", args=[window.pk]))
    assert not ElectionWindow.objects.exists()
    assert AuditEvent.objects.get(verb="election_window_deleted").actor == chief


def test_settings_elections_of_other_units_are_not_found(org: Org, chief: User) -> None:
    window = ElectionWindow.objects.create(
        name="Autres", kind="municipal", unit=_other(org), first_round=date(2032, 3, 14)
    )
    client = _client(chief)
    assert "Autres" not in client.get(reverse("editorial:settings_elections")).content.decode()
    edit = reverse("editorial:settings_election_edit", args=[window.pk])
    assert client.get(edit).status_code == 404
    delete = reverse("editorial:settings_election_delete", args=[window.pk])
    assert client.post(delete).status_code == 404
    assert ElectionWindow.objects.filter(pk=window.pk).exists()
    assert _client(org.manager).get(reverse("editorial:settings_elections")).status_code == 403


# --- query counts -------------------------------------------------------------------------------


def _members(org: Org, prefix: str, count: int) -> None:
    """``count`` more people, each with a role in the service and a grant on its account."""
    for index in range(count):
        person = make_user(username=f"{prefix}{index}")
        membership_create(user=person, unit=org.service, role=Membership.Role.AUTHOR)
        organisation.account_grant_create(
            user=person, account=org.mastodon, right="waive_for_account", by=None
        )


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["settings_members", "settings_rights"])
def test_settings_lists_take_as_many_queries_for_1_or_20_people(
    org: Org, chief: User, name: str
) -> None:
    target = org.service.pk if name == "settings_members" else org.mastodon.pk
    url = reverse(f"editorial:{name}", args=[target])
    client = _client(chief)
    _members(org, "one", 1)
    client.get(url)  # warm the caches (content types, session) alike for both counts
    one = _queries(client, url)
    _members(org, "more", 19)
    assert _queries(client, url) == one


# --- electoral referents ------------------------------------------------------------------------


def test_settings_referent_designated_then_removed_audited(org: Org, chief: User) -> None:
    from charter.models import ElectoralReferent

    client = _client(chief)
    data = {"referent-person": "manager", "referent-unit": org.service.pk}
    client.post(reverse("editorial:settings_referent_add"), data)
    referent = ElectoralReferent.objects.get()
    assert (referent.user, referent.unit) == (org.manager, org.service)
    assert AuditEvent.objects.get(verb="electoral_referent_designated").actor == chief
    page = client.get(reverse("editorial:settings_elections")).content.decode()
    assert f'data-referent="{referent.pk}"' in page
    client.post(reverse("editorial:settings_referent_remove", args=[referent.pk]))
    assert not ElectoralReferent.objects.exists()
    assert AuditEvent.objects.get(verb="electoral_referent_removed").actor == chief


def test_settings_referent_twice_refused_in_words(org: Org, chief: User) -> None:
    from charter.models import ElectoralReferent

    client = _client(chief, "fr")
    data = {"referent-person": "manager", "referent-unit": org.service.pk}
    client.post(reverse("editorial:settings_referent_add"), data)
    response = client.post(reverse("editorial:settings_referent_add"), data, follow=True)
    assert "déjà" in response.content.decode()
    assert ElectoralReferent.objects.count() == 1
    other = {"referent-person": "manager", "referent-unit": _other(org).pk}
    client.post(reverse("editorial:settings_referent_add"), other)
    assert ElectoralReferent.objects.count() == 1


def test_settings_election_over_a_scheduled_post_says_what_it_held(org: Org, chief: User) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from editorial import services
    from editorial.models import PostState

    paris = ZoneInfo("Europe/Paris")
    with time_machine.travel(datetime(2026, 3, 12, 10, 0, tzinfo=paris), tick=False):
        post = services.post_create(
            by=org.officer, accounts=[org.mastodon], text="Le guichet unique ouvre lundi."
        )
        services.post_submit(post=post, by=org.officer)
        services.post_approve(post=post, by=org.manager)
        # Saturday noon: inside the silence of a vote on Sunday 15 March.
        at = datetime(2026, 3, 14, 12, 0, tzinfo=paris)
        services.post_schedule(post=post, by=org.manager, at=at)
        data = {**ELECTION, "unit": org.service.pk, "first_round": "2026-03-15"}
        data["second_round"] = "2026-03-22"
        response = _client(chief).post(reverse("editorial:settings_elections"), data, follow=True)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert "1 scheduled post(s) are now held by the charter" in response.content.decode()


def test_settings_members_above_are_shown_not_removable_from_below(org: Org, chief: User) -> None:
    minister = make_user(username="minister")
    membership_create(user=minister, unit=org.ministry, role=Membership.Role.ADMIN)
    client = _client(chief)
    page = client.get(reverse("editorial:settings_members", args=[org.service.pk]))
    assert f"{minister} (mex)" in page.content.decode()  # among the administrators above
    above = Membership.objects.get(user=minister)
    url = reverse("editorial:settings_membership_delete", args=[above.pk])
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=above.pk).exists()

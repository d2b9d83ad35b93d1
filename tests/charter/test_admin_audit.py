"""Charters and elections written in the admin are recorded in the audit trail (who, what).

charter may not import editorial: its services tell of each change
(``charter.signals.charter_changed``) in their transaction and editorial records it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from charter.models import Charter, CharterVersion, ElectionWindow, ElectoralReferent
from editorial.models import AuditEvent
from tests.admin_forms import admin_form_data
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _url(name: str, *args: Any) -> str:
    return reverse(f"admin:{name}", args=args)


def _post(client: Client, url: str, data: dict[str, Any]) -> None:
    response = client.post(url, data)
    errors = response.context.get("errors") if response.context else None
    assert response.status_code == 302, errors or response.content.decode()[:1000]


def test_admin_charter_and_version_created_are_recorded(
    admin_client: Client, admin_user: User
) -> None:
    add = _url("charter_charter_add")
    data = admin_form_data(admin_client, add) | {
        "name": "Charte commune",
        "versions-TOTAL_FORMS": "1",
        "versions-0-params": '{"terms.forbidden": {"terms": ["ASAP"]}}',
        "versions-0-public_summary": "Nous publions sans jargon.",
    }
    _post(admin_client, add, data)
    assert CharterVersion.objects.get().public_summary == "Nous publions sans jargon."
    created = AuditEvent.objects.get(verb="charter_created")
    version = AuditEvent.objects.get(verb="charter_version_created")
    assert created.actor == admin_user and created.data["charter"]["name"] == "Charte commune"
    assert version.actor == admin_user and version.data["number"] == 1
    assert version.data["params"] == {"terms.forbidden": {"terms": ["ASAP"]}}


def test_admin_charter_without_versions_deleted_is_recorded(
    admin_client: Client, admin_user: User
) -> None:
    charter = Charter.objects.create(name="Brouillon")
    _post(admin_client, _url("charter_charter_delete", charter.pk), {"post": "yes"})
    event = AuditEvent.objects.get(verb="charter_deleted")
    assert event.actor == admin_user and event.data["charter"]["name"] == "Brouillon"


def test_admin_election_declared_changed_and_deleted_are_recorded(
    admin_client: Client, admin_user: User
) -> None:
    add = _url("charter_electionwindow_add")
    data = admin_form_data(admin_client, add) | {
        "name": "Municipales",
        "kind": "municipal",
        "first_round": "2030-03-17",
    }
    _post(admin_client, add, data)
    window = ElectionWindow.objects.get(name="Municipales")
    assert AuditEvent.objects.get(verb="election_window_created").data["first_round"] == (
        "2030-03-17"
    )
    url = _url("charter_electionwindow_change", window.pk)
    _post(admin_client, url, admin_form_data(admin_client, url) | {"second_round": "2030-03-24"})
    changed = AuditEvent.objects.get(verb="election_window_changed")
    assert changed.actor == admin_user
    assert (changed.data["before"]["second_round"], changed.data["after"]["second_round"]) == (
        None,
        "2030-03-24",
    )
    bulk = {"action": "delete_selected", "_selected_action": [window.pk], "post": "yes"}
    _post(admin_client, _url("charter_electionwindow_changelist"), bulk)
    deleted = AuditEvent.objects.get(verb="election_window_deleted")
    assert deleted.actor == admin_user and deleted.data["name"] == "Municipales"
    assert not ElectionWindow.objects.exists()


def test_admin_referent_designated_and_removed_are_recorded(
    admin_client: Client, admin_user: User
) -> None:
    person = make_user(username="referente")
    _post(admin_client, _url("charter_electoralreferent_add"), {"user": person.pk, "unit": ""})
    referent = ElectoralReferent.objects.get(user=person)
    designated = AuditEvent.objects.get(verb="electoral_referent_designated")
    assert designated.actor == admin_user and designated.data["person"]["id"] == person.pk
    _post(admin_client, _url("charter_electoralreferent_delete", referent.pk), {"post": "yes"})
    removed = AuditEvent.objects.get(verb="electoral_referent_removed")
    assert removed.actor == admin_user and removed.data["referent_id"] == referent.pk
    assert not ElectoralReferent.objects.exists()

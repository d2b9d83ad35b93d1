"""The charters screen: a unit administrator records a new version (rules on or off,
severities, word lists) through ``charter_version_create`` (validated, audited), compares two
versions rule by rule, and nobody else gets in."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from charter import services as charter_services
from charter.models import Charter, CharterVersion
from charter.version_diff import rule_states
from editorial.forms.settings_rules import CharterVersionForm
from editorial.models import AuditEvent
from tests.conftest import Org
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org: Org) -> User:
    user = make_user(username="chef")
    membership_create(user=user, unit=org.service, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def client(admin: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin)
    return client


@pytest.fixture
def charter(org: Org, admin: User) -> Charter:
    charter = charter_services.charter_create(name="Charte SICOM", unit=org.service, by=admin)
    charter_services.charter_version_create(
        charter=charter, params={"terms.forbidden": {"terms": ["ASAP"]}}, by=admin
    )
    return charter


def _form_data(params: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What the edit page posts when nothing is touched, then ``changes``."""
    form = CharterVersionForm(states=rule_states(params))
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = field.initial
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_settings_charter_edit_records_a_version_and_shows_the_diff(
    charter: Charter, admin: User, client: Client
) -> None:
    latest = charter.versions.get()
    data = _form_data(
        latest.params,
        terms_forbidden__terms="ASAP\nimpacter\n",
        a11y_emoji__on=None,  # unticked: off
        a11y_sentence_length__severity="block",
    )
    response = client.post(reverse("editorial:settings_charter_edit", args=[charter.pk]), data)
    version = charter.versions.get(number=2)
    diff = reverse("editorial:settings_charter_diff", args=[charter.pk])
    assert response["Location"] == f"{diff}?from=1&to=2"
    assert version.params == {
        "terms.forbidden": {"terms": ["ASAP", "impacter"]},
        "severities": {"a11y.sentence_length": "block"},
        "disabled": ["a11y.emoji"],
    }
    assert version.created_by == admin
    event = AuditEvent.objects.filter(verb="charter_version_created").latest("seq")
    assert event.actor == admin and event.data["number"] == 2
    page = client.get(response["Location"]).content.decode()
    assert '<li data-change="off">' in page
    assert '<li data-change="added" data-param="terms">' in page and "impacter" in page
    assert '<li data-change="severity">' in page


def test_settings_charter_bad_value_is_refused_in_words_and_kept(
    charter: Charter, client: Client
) -> None:
    data = _form_data(
        charter.versions.get().params, links_count__max="99", terms_forbidden__terms="ASAP\nX"
    )
    response = client.post(reverse("editorial:settings_charter_edit", args=[charter.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 20." in page
    assert 'value="99"' in page and "ASAP\nX</textarea>" in page
    assert charter.versions.count() == 1


def test_settings_charter_unchanged_version_is_refused(charter: Charter, client: Client) -> None:
    data = _form_data(charter.versions.get().params)
    response = client.post(reverse("editorial:settings_charter_edit", args=[charter.pk]), data)
    assert "Nothing changed" in response.content.decode()
    assert charter.versions.count() == 1


def test_settings_charter_locked_rule_cannot_be_turned_off(
    charter: Charter, client: Client
) -> None:
    data = _form_data(charter.versions.get().params, len_mastodon__on=None, a11y_emoji__on=None)
    client.post(reverse("editorial:settings_charter_edit", args=[charter.pk]), data)
    # The network limit's box is disabled: what is posted for it is ignored.
    assert charter.versions.get(number=2).params["disabled"] == ["a11y.emoji"]


def test_settings_charter_of_an_account_is_versioned_by_its_units_admin(
    org: Org, admin: User, client: Client
) -> None:
    own = charter_services.charter_create(
        name="Charte du compte", unit=None, account=org.mastodon, by=admin
    )
    data = _form_data({}, a11y_emoji__on=None)
    client.post(reverse("editorial:settings_charter_edit", args=[own.pk]), data)
    assert own.versions.get().params == {"disabled": ["a11y.emoji"]}


def test_settings_charters_refused_to_a_reviewer_and_hidden_from_another_admin(
    org: Org, charter: Charter
) -> None:
    reviewer = Client()
    reviewer.force_login(org.manager)
    assert reviewer.get(reverse("editorial:settings_charters")).status_code == 403
    stranger = make_user(username="autre_chef")
    membership_create(
        user=stranger,
        unit=make_unit(name="Ailleurs", code="ailleurs", parent=org.ministry),
        role=Membership.Role.ADMIN,
    )
    other = Client()
    other.force_login(stranger)
    assert "Charte SICOM" not in other.get(reverse("editorial:settings_charters")).content.decode()
    for name in ("settings_charter", "settings_charter_edit", "settings_charter_diff"):
        assert other.get(reverse(f"editorial:{name}", args=[charter.pk])).status_code == 404
    edit = reverse("editorial:settings_charter_edit", args=[charter.pk])
    assert other.post(edit, _form_data({}, a11y_emoji__on=None)).status_code == 404
    assert CharterVersion.objects.filter(charter=charter).count() == 1


def test_settings_charter_page_shows_the_latest_version_rule_by_rule(
    charter: Charter, client: Client
) -> None:
    page = client.get(reverse("editorial:settings_charter", args=[charter.pk])).content.decode()
    assert 'data-version="1"' in page
    assert '<tr data-rule="terms.forbidden">' in page and "ASAP" in page


def test_settings_charters_list_queries_do_not_grow_with_charters(
    org: Org, admin: User, client: Client
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("editorial:settings_charters")).status_code == 200
        return len(queries)

    def charter(n: int) -> None:
        unit = make_unit(name=f"Bureau {n}", code=f"b{n}", parent=org.service)
        made = charter_services.charter_create(name=f"Charte {n}", unit=unit, by=admin)
        charter_services.charter_version_create(charter=made, params={}, by=admin)

    charter(0)
    count()  # warm the process-wide caches (content types) first
    one = count()
    for n in range(1, 20):
        charter(n)
    assert count() == one


def test_settings_charter_create_for_a_unit_without_one_then_its_first_version(
    org: Org, admin: User, client: Client
) -> None:
    bureau = make_unit(name="Bureau presse", code="presse", parent=org.service)
    response = client.post(
        reverse("editorial:settings_charter_create"),
        {"name": "Charte du bureau presse", "unit": bureau.pk},
    )
    charter = Charter.objects.get(unit=bureau)
    assert response["Location"] == reverse("editorial:settings_charter_edit", args=[charter.pk])
    assert AuditEvent.objects.filter(verb="charter_created", actor=admin).count() == 1
    client.post(response["Location"], _form_data({}, a11y_emoji__on=None))
    assert charter.versions.get().number == 1


def test_settings_charter_create_refuses_a_unit_that_has_one_and_keeps_the_name(
    org: Org, charter: Charter, client: Client
) -> None:
    response = client.post(
        reverse("editorial:settings_charter_create"),
        {"name": "Deuxième charte", "unit": org.service.pk},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page and 'value="Deuxième charte"' in page
    assert Charter.objects.count() == 1

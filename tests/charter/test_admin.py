from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from charter.models import Charter, CharterVersion

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/charter/charter/add/"
INLINE = "versions"


def _management(total: int, initial: int) -> dict[str, str]:
    return {
        f"{INLINE}-TOTAL_FORMS": str(total),
        f"{INLINE}-INITIAL_FORMS": str(initial),
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
    }


def test_admin_creates_charter_and_first_version_through_services(
    admin_client: Client, admin_user: User
) -> None:
    data = {
        "name": "Charte commune",
        "unit": "",
        **_management(1, 0),
        f"{INLINE}-0-params": '{"terms.forbidden": {"terms": [" ASAP "]}}',
    }
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 302
    version = CharterVersion.objects.get()
    assert (version.number, version.created_by) == (1, admin_user)
    assert version.params == {"terms.forbidden": {"terms": ["ASAP"]}}


def test_admin_refuses_invalid_params_with_the_message(admin_client: Client) -> None:
    data = {
        "name": "Charte commune",
        "unit": "",
        **_management(1, 0),
        f"{INLINE}-0-params": '{"terms.forbiden": {}}',
    }
    response = admin_client.post(ADD_URL, data, headers={"accept-language": "en"})
    assert response.status_code == 200
    assert "Unknown rule code" in response.content.decode()
    assert not Charter.objects.exists()


def test_admin_adds_a_version_and_leaves_existing_ones_untouched(admin_client: Client) -> None:
    charter = Charter.objects.create(name="Charte commune")
    first = CharterVersion.objects.create(charter=charter, number=1, params={})
    data = {
        **_management(2, 1),
        f"{INLINE}-0-id": str(first.pk),
        f"{INLINE}-0-charter": str(charter.pk),
        f"{INLINE}-0-params": '{"disabled": ["terms.forbidden"]}',  # read-only: ignored
        f"{INLINE}-1-charter": str(charter.pk),
        f"{INLINE}-1-params": '{"severities": {"media.alt_text": "warn"}}',
    }
    response = admin_client.post(f"/admin/charter/charter/{charter.pk}/change/", data)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.params == {}
    assert charter.versions.get(number=2).params == {"severities": {"media.alt_text": "warn"}}


def test_admin_change_page_renders(admin_client: Client) -> None:
    charter = Charter.objects.create(name="Charte commune")
    CharterVersion.objects.create(charter=charter, number=1, params={})
    response = admin_client.get(f"/admin/charter/charter/{charter.pk}/change/")
    assert response.status_code == 200

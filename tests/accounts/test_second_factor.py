"""The second factor (django-otp): required for reviewers, publishers, administrators and
staff, optional for authors; enrolment with a TOTP app and backup codes; verification after the
password. Logins here use ``unverified_login`` (the password step only): ``force_login`` would
verify the session (tests/conftest.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, User
from accounts.second_factor import backup_codes_renew
from accounts.services import membership_create
from editorial.models import AuditEvent
from tests.conftest import Org, give_totp_device, unverified_login
from tests.factories import make_delegation, make_user

pytestmark = pytest.mark.django_db
SETUP = "/second-factor/setup/"
VERIFY = "/second-factor/verify/"


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def _redirect(client: Client, path: str = "/") -> str:
    response = client.get(path)
    return str(response["Location"]) if response.status_code == 302 else ""


@pytest.mark.parametrize("role", ["reviewer", "publisher", "admin"])
def test_second_factor_required_roles_are_sent_to_enrolment(
    client: Client, org: Org, role: str
) -> None:
    user = make_user()
    membership_create(user=user, unit=org.service, role=role)
    unverified_login(client, user)
    assert _redirect(client, "/review/") == SETUP + "?next=%2Freview%2F"
    assert client.get(SETUP).status_code == 200


def test_second_factor_required_for_staff_and_for_a_deputy(client: Client, org: Org) -> None:
    staff = make_user(is_staff=True)
    unverified_login(client, staff)
    assert _redirect(client).startswith(SETUP)
    deputy = make_user()
    today = date.today()
    make_delegation(org.manager, deputy, today, today + timedelta(days=2))
    unverified_login(client, deputy)
    assert _redirect(client).startswith(SETUP)


def test_second_factor_optional_for_an_author(client: Client, org: Org) -> None:
    unverified_login(client, org.officer)
    assert client.get("/").status_code == 200


def test_second_factor_author_who_enrolled_must_verify(client: Client, org: Org) -> None:
    give_totp_device(org.officer)
    unverified_login(client, org.officer)
    assert _redirect(client) == VERIFY + "?next=%2F"


def test_second_factor_ends_with_the_role(client: Client, org: Org) -> None:
    Membership.objects.filter(user=org.manager).delete()
    membership_create(user=org.manager, unit=org.service, role=Membership.Role.AUTHOR)
    unverified_login(client, org.manager)
    assert client.get("/").status_code == 200


def test_second_factor_enrolment_with_a_wrong_then_the_right_code(
    client: Client, org: Org, frozen_now: Any
) -> None:
    unverified_login(client, org.manager)
    page = client.get(SETUP + "?next=/review/").content.decode()
    device = TOTPDevice.objects.get(user=org.manager, confirmed=False)
    from accounts.second_factor import totp_secret

    assert totp_secret(device) in page
    assert "no-store" in client.get(SETUP)["Cache-Control"]
    assert "<svg" in page
    response = client.post(SETUP, {"code": "000000", "next": "/review/"})
    assert "n\u2019est pas celui qu\u2019affiche votre application" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert _redirect(client).startswith(SETUP)
    device.throttle_reset()  # django-otp slows guesses down after a failure
    response = client.post(SETUP, {"code": _code(device), "next": "/review/"})
    assert response.status_code == 200
    codes = StaticToken.objects.filter(device__user=org.manager).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in response.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/review/").status_code == 200
    event = AuditEvent.objects.get(verb="second_factor_enrolled")
    assert event.actor == org.manager


def test_second_factor_verify_refuses_a_wrong_code(client: Client, org: Org) -> None:
    device = give_totp_device(org.manager)
    unverified_login(client, org.manager)
    wrong = f"{(int(_code(device)) + 1) % 1000000:06d}"
    response = client.post(VERIFY, {"code": wrong, "next": "/review/"})
    assert response.status_code == 200
    assert "Ce code n\u2019est pas valide" in response.content.decode()
    assert _redirect(client, "/review/").startswith(VERIFY)


def test_second_factor_says_when_codes_are_throttled(
    client: Client, frozen_now: Any, org: Org
) -> None:
    device = give_totp_device(org.manager)
    unverified_login(client, org.manager)
    wrong = f"{(int(_code(device)) + 1) % 1000000:06d}"
    client.post(VERIFY, {"code": wrong})
    # Right away, even the right code waits: django-otp's delay after a failure.
    response = client.post(VERIFY, {"code": _code(device)})
    assert "Trop de codes erronés" in response.content.decode()
    assert _redirect(client).startswith(VERIFY)


def test_second_factor_verify_after_the_password(client: Client, org: Org) -> None:
    device = give_totp_device(org.manager)
    response = client.post(
        "/login/?next=/review/",
        {"username": "manager", "password": "correct horse battery", "next": "/review/"},
    )
    assert response["Location"] == "/review/"
    assert _redirect(client, "/review/") == VERIFY + "?next=%2Freview%2F"
    response = client.post(VERIFY, {"code": _code(device), "next": "/review/"})
    assert response["Location"] == "/review/"
    assert client.get("/review/").status_code == 200


def test_second_factor_verify_never_redirects_off_site(client: Client, org: Org) -> None:
    device = give_totp_device(org.manager)
    unverified_login(client, org.manager)
    response = client.post(VERIFY, {"code": _code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_second_factor_backup_codes_renewed_replace_the_old_ones(client: Client, org: Org) -> None:
    old = backup_codes_renew(user=org.manager)
    client.force_login(org.manager)
    response = client.post("/second-factor/backup-codes/")
    new = StaticToken.objects.filter(device__user=org.manager).values_list("token", flat=True)
    assert len(new) == 10
    assert all(code in response.content.decode() for code in new)
    assert not set(old) & set(new)
    assert AuditEvent.objects.filter(verb="backup_codes_renewed", actor=org.manager).count() == 2


def test_second_factor_backup_code_works_once(client: Client, org: Org) -> None:
    give_totp_device(org.manager)
    code = backup_codes_renew(user=org.manager)[0]
    unverified_login(client, org.manager)
    assert client.post(VERIFY, {"code": code})["Location"] == "/"
    assert client.get("/review/").status_code == 200
    client.logout()
    unverified_login(client, org.manager)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert _redirect(client).startswith(VERIFY)


def test_second_factor_cannot_enrol_a_new_device_instead_of_verifying(
    client: Client, org: Org
) -> None:
    give_totp_device(org.manager)
    unverified_login(client, org.manager)
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=org.manager, confirmed=False).exists()


def test_second_factor_htmx_request_navigates_to_the_step(client: Client, org: Org) -> None:
    unverified_login(client, org.manager)
    response = client.get("/review/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith(SETUP)


def test_second_factor_admin_needs_a_verified_session(client: Client, org: Org) -> None:
    staff = make_user(username="chef", is_staff=True, is_superuser=True)
    device = give_totp_device(staff)
    unverified_login(client, staff)
    assert _redirect(client, "/admin/").startswith(VERIFY)
    # OTPAdminSite: even past the middleware, an unverified session is not the admin's.
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = staff
    staff.is_verified = lambda: False  # type: ignore[attr-defined]
    assert not admin.site.has_permission(request)
    response = client.post(VERIFY, {"code": _code(device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_second_factor_force_login_verifies_with_a_real_device(client: Client, org: Org) -> None:
    client.force_login(org.manager)
    assert client.get("/review/").status_code == 200
    assert TOTPDevice.objects.filter(user=org.manager, confirmed=True).count() == 1


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Xq7#vLp2!mZ", "password_too_short"),
        ("jdupont2026!", "password_too_similar"),
        ("111222tianya", "password_too_common"),
    ],
)
def test_password_validation_refuses_weak_passwords(password: str, code: str) -> None:
    user = User(username="jdupont", first_name="Jeanne", last_name="Dupont", email="j@x.fr")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert [error.code for error in refused.value.error_list] == [code]


def test_password_validation_accepts_a_long_unusual_one() -> None:
    user = User(username="jdupont", first_name="Jeanne", last_name="Dupont")
    validate_password("Xq7#vLp2!mZ9", user)

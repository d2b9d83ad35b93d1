"""Login throttling (django-axes + accounts.lockout): 5 failures lock a username from one IP
address, the right password included, until the cool-off has passed after the last failure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from accounts.lockout import client_ip
from editorial.models import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client: Client, username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert _login(client, username, "wrong password!", ip).status_code == 200


@pytest.fixture
def limits(settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_IP_FAILURE_LIMIT = 12
    settings.LOGIN_COOLOFF_MINUTES = 15
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def test_lockout_refuses_the_right_password_until_the_cool_off(
    client: Client, frozen_now: Any, time_machine: Any, limits: None
) -> None:
    make_user(username="camille")
    _fail(client, "camille", 4)
    locked = _login(client, "camille", "wrong password!")
    assert locked.status_code == 429
    response = _login(client, "camille", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The page says when: 15 minutes after the last counted failure (09:00 UTC = 10:00 Paris).
    assert "10:15" in response.content.decode()
    time_machine.move_to(frozen_now + timedelta(minutes=14, seconds=59), tick=False)
    assert _login(client, "camille", PASSWORD).status_code == 429
    time_machine.move_to(frozen_now + timedelta(minutes=15, seconds=1), tick=False)
    assert _login(client, "camille", PASSWORD).status_code == 302
    assert "_auth_user_id" in client.session


def test_lockout_page_is_in_french_for_a_french_visitor(
    client: Client, frozen_now: Any, limits: None
) -> None:
    make_user(username="camille")
    _fail(client, "camille", 4)
    response = client.post(
        "/login/",
        {"username": "camille", "password": "wrong password!"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 429
    assert "Trop de connexions échouées" in response.content.decode()


def test_lockout_is_per_username_and_ip(client: Client, frozen_now: Any, limits: None) -> None:
    make_user(username="camille")
    make_user(username="dominique")
    _fail(client, "camille", 4)
    assert _login(client, "camille", "wrong password!").status_code == 429
    assert _login(client, "camille", PASSWORD).status_code == 429
    # Same person from another address, and another person from the same address: not locked.
    assert _login(client, "camille", PASSWORD, ip="10.0.0.2").status_code == 302
    client.logout()
    assert _login(client, "dominique", PASSWORD).status_code == 302


def test_lockout_of_an_ip_that_tries_many_usernames(
    client: Client, frozen_now: Any, limits: None
) -> None:
    make_user(username="camille")
    for name in ("a1", "a2"):
        _fail(client, name, 4)
    _fail(client, "a3", 3)
    # The 12th failure from this address, never 5 for one username: the address is locked.
    assert _login(client, "a4", "wrong password!").status_code == 429
    assert _login(client, "camille", PASSWORD).status_code == 429
    assert _login(client, "camille", PASSWORD, ip="10.0.0.9").status_code == 302


def test_lockout_is_recorded_in_the_audit_trail_once(
    client: Client, frozen_now: Any, limits: None
) -> None:
    make_user(username="camille")
    _fail(client, "camille", 4)
    for _ in range(3):
        assert _login(client, "camille", "wrong password!").status_code == 429
    events = AuditEvent.objects.filter(verb="login_locked_out")
    assert events.count() == 1
    event = events.get()
    assert event.actor is None
    assert event.data["username"] == "camille"
    assert event.data["ip_address"] == "10.0.0.1"
    assert event.data["locked_until"] == (frozen_now + timedelta(minutes=15)).isoformat()


def test_lockout_admin_login_is_the_throttled_web_login(
    client: Client, frozen_now: Any, limits: None
) -> None:
    make_user(username="chef", is_staff=True, is_superuser=True)
    # The admin's own form is no second door: even the right password is not checked there.
    response = client.post("/admin/login/?next=/admin/", {"username": "chef", "password": PASSWORD})
    assert response["Location"] == "/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    _fail(client, "chef", 4)
    assert _login(client, "chef", "wrong password!").status_code == 429
    assert _login(client, "chef", PASSWORD).status_code == 429


def test_client_ip_trusts_x_forwarded_for_only_from_our_proxies(settings: Any) -> None:
    from django.test import RequestFactory

    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "10.1.0.0/16"]
    factory = RequestFactory()
    # Behind our proxy: the address it appended (the right-most hop not ours).
    request = factory.get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.1.2.3"
    )
    assert client_ip(request) == "203.0.113.7"
    # Straight from the internet: the header is the client's own words and is ignored.
    request = factory.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "198.51.100.4"
    # From our proxy without the header: the proxy itself.
    assert client_ip(factory.get("/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import Membership, OrgUnit, SocialAccount, User
from accounts.services import membership_create
from tests.factories import make_account, make_unit, make_user


@dataclass
class Org:
    ministry: OrgUnit
    service: OrgUnit
    officer: User  # author in the service
    manager: User  # reviewer and publisher in the service
    outsider: User  # member of another service: sees nothing here
    mastodon: SocialAccount
    bluesky: SocialAccount


# The moment ``frozen_now`` stops the clock at: a Monday morning, outside any election period.
FROZEN_NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now(time_machine: Any) -> datetime:
    """The wall clock stopped at FROZEN_NOW for the whole test.

    A test that compares with "now" while the clock runs races the machine: on a busy one,
    seconds pass between two lines. Ask for this fixture before ``org`` so that everything the
    test creates is dated at the same frozen moment.
    """
    time_machine.move_to(FROZEN_NOW, tick=False)
    return FROZEN_NOW


@pytest.fixture
def org(db: None) -> Org:
    ministry = make_unit(name="Ministère de l'Exemple", code="mex", kind=OrgUnit.Kind.MINISTRY)
    service = make_unit(name="Service communication", code="sicom", parent=ministry)
    other = make_unit(name="Autre service", code="autre", parent=ministry)
    officer = make_user(username="officer", first_name="Jeanne", last_name="Dupont")
    manager = make_user(username="manager", first_name="Marc", last_name="Leroy")
    outsider = make_user(username="outsider")
    mastodon = make_account(service, "mastodon")
    bluesky = make_account(service, "bluesky")
    membership_create(user=officer, unit=service, role=Membership.Role.AUTHOR)
    membership_create(user=manager, unit=service, role=Membership.Role.REVIEWER)
    membership_create(user=manager, unit=service, role=Membership.Role.PUBLISHER)
    membership_create(user=outsider, unit=other, role=Membership.Role.AUTHOR)
    return Org(ministry, service, officer, manager, outsider, mastodon, bluesky)


# --- Second factor -----------------------------------------------------------------------------
# Reviewers, publishers and administrators must confirm their login with a second factor
# (accounts.middleware.SecondFactorMiddleware). Hundreds of tests sign people in with
# ``client.force_login(user)``, which skips the password; the autouse fixture below makes it skip
# the second step the same way: it gives the user a real confirmed TOTP device (once) and marks
# the session verified with it, exactly what django_otp.login does after a right code. Tests of
# the second factor itself use ``unverified_login`` (the password step only).
_django_force_login = Client.force_login


def unverified_login(client: Client, user: User) -> None:
    """Django's own force_login: signed in, second factor not yet given."""
    _django_force_login(client, user)


def give_totp_device(user: User) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def verified_login(client: Client, user: User, backend: str | None = None) -> None:
    """force_login, then the session verified with the user's (real) device."""
    from django_otp import DEVICE_ID_SESSION_KEY

    _django_force_login(client, user, backend)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = give_totp_device(user).persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _force_login_verifies_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Client, "force_login", verified_login)


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Service messages are asserted in English; pages pick their language per request."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Test users are many and their passwords worthless: skip the deliberate slowness."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Uploaded files go to a fresh folder per test, never into the checkout's data/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def email_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Notification e-mails queued after commit are sent at once, in this process, as a worker
    would (``editorial.tasks.send_notification_emails``): for tests that read ``mail.outbox``
    after running the on_commit callbacks. Without it, the task goes to the broker. Replaces
    the send, not ``apply_async``: the wait for the commit stays the real one."""
    from editorial import tasks

    def send_now(args: tuple[list[int]], *rest: Any, **options: Any) -> None:
        tasks.send_notification_emails.apply(args=args)

    monkeypatch.setattr(tasks.send_notification_emails, "send_now", send_now)


@pytest.fixture
def broker_down(settings: Any) -> Iterator[None]:
    """The Celery broker is a Redis nobody runs: every connection is refused."""
    from celery import current_app

    from peers import free_port

    conf = current_app.conf
    previous = conf.broker_url
    conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        yield
    finally:
        conf.update(broker_url=previous)

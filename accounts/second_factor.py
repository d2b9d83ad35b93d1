"""Second factor (django-otp): who must use one, and the writes that enrol it.

Required for whoever can approve, publish or administer: a current reviewer, publisher or
administrator membership, a deputy while a delegation lends them approval rights, and staff
(the Django admin). Authors may enrol; once a person has a device, every login of theirs is
verified with it. Devices: one TOTP authenticator app plus single-use backup codes.
"""

from __future__ import annotations

import logging
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Delegation, Membership, User
from accounts.signals import security_event

logger = logging.getLogger("porte_voix.security")

ROLES_REQUIRING_SECOND_FACTOR = (
    Membership.Role.REVIEWER,
    Membership.Role.PUBLISHER,
    Membership.Role.ADMIN,
)
BACKUP_CODE_COUNT = 10
PENDING_NAME = "pending"


class SecondFactorError(Exception):
    """A refused code, in words for the person."""


@dataclass(frozen=True)
class SecondFactorStatus:
    has_device: bool
    required: bool


def second_factor_status(user: User) -> SecondFactorStatus:
    """Whether the user has a confirmed device and whether one is required, in one query:
    the middleware asks on every request of a user not yet verified."""
    today = timezone.localdate()
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            static=Exists(StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            role=Exists(
                Membership.objects.filter(
                    user=OuterRef("pk"), role__in=ROLES_REQUIRING_SECOND_FACTOR
                )
            ),
            deputy=Exists(
                Delegation.objects.filter(
                    Q(to_user=OuterRef("pk")), starts_on__lte=today, ends_on__gte=today
                )
            ),
        )
        .values_list("totp", "static", "role", "deputy")
        .first()
    )
    if row is None:
        return SecondFactorStatus(has_device=False, required=False)
    totp, static, role, deputy = row
    return SecondFactorStatus(
        has_device=bool(totp or static),
        required=bool(role or deputy or user.is_staff or user.is_superuser),
    )


def requires_second_factor(user: User) -> bool:
    return second_factor_status(user).required


def totp_secret(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator app (base32, no padding)."""
    return b32encode(device.bin_key).decode().rstrip("=")


def _audit(verb: str, user: User, **data: Any) -> None:
    logger.info("%s: %s", verb, user.username)
    security_event.send(sender=User, verb=verb, actor=user, data=data)


@transaction.atomic
def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up: the same secret until it is confirmed with a code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=PENDING_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, confirmed=False, name=PENDING_NAME)
    return device


def totp_device_confirm(*, user: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code it shows; returns it and fresh backup codes.

    Raises SecondFactorError when the code is not the current one (or nothing is pending). The
    check itself is outside the transaction: django-otp's count of failed codes (it slows
    guessing down) must stay written when the code is refused.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=PENDING_NAME).first()
    if device is None:
        raise SecondFactorError(_("Nothing to confirm: start the set-up again."))
    _refuse_if_throttled(device)
    if not device.verify_token(_digits(token)):
        raise SecondFactorError(
            _("This code is not the one your app shows now. Check the phone's clock and retry.")
        )
    with transaction.atomic():
        device.confirmed = True
        device.name = "authenticator"
        device.save(update_fields=["confirmed", "name"])
        _audit("second_factor_enrolled", user, device="totp")
        return device, backup_codes_renew(user=user, audit=False)


@transaction.atomic
def backup_codes_renew(*, user: User, audit: bool = True) -> list[str]:
    """Replace the user's backup codes with BACKUP_CODE_COUNT new ones, each valid once.

    Shown once to the person: only they keep them (they are stored as entered, like
    django-otp's own static tokens, and the page that shows them is private).
    """
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="backup-codes", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    if audit:
        _audit("backup_codes_renewed", user)
    return codes


def second_factor_check(*, user: User, token: str) -> Device | None:
    """The device that accepts this code (a six-digit TOTP code or a backup code), or None.

    Raises SecondFactorError while the device refuses to check codes (too many failures).

    Only the device the code's shape names is tried: django-otp counts a refused code against
    the device that refused it (each failure doubles the wait before the next try), and a right
    app code must not slow down the backup codes. A backup code is deleted as it is used, under
    a lock on its device, so two requests cannot both spend it.
    """
    token = _digits(token)
    devices: list[Device]
    if len(token) == 6 and token.isdigit():  # TOTPDevice.digits, its default
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        _refuse_if_throttled(device)
        with transaction.atomic():
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(token):
                return locked
    return None


def _refuse_if_throttled(device: Device) -> None:
    allowed, _extra = device.verify_is_allowed()
    if not allowed:
        raise SecondFactorError(
            _("Too many wrong codes in a row: wait a few seconds, then try again.")
        )


def _digits(token: str) -> str:
    return "".join(token.split())


@transaction.atomic
def second_factor_reset(*, user: User, by: User) -> int:
    """Remove a person's authenticator and backup codes (they lost both): their next login
    sends them to enrolment. Recorded as ``second_factor_reset`` with who removed them.
    Whoever may delete TOTP devices may; returns how many devices were removed."""
    if not (by.is_active and by.has_perm("otp_totp.delete_totpdevice")):
        raise PermissionDenied(_("You may not remove a second factor."))
    # Counted per model: a static device's delete also counts its tokens.
    _n, totp = TOTPDevice.objects.filter(user=user).delete()
    _n, static = StaticDevice.objects.filter(user=user).delete()
    removed: int = totp.get(TOTPDevice._meta.label, 0) + static.get(StaticDevice._meta.label, 0)
    if removed:
        logger.warning("Second factor of %s removed by %s", user.username, by.username)
        security_event.send(
            sender=User,
            verb="second_factor_reset",
            actor=by,
            data={"person": {"id": user.pk, "name": str(user)}, "devices": removed},
        )
    return removed

"""Completing the second-factor step in the browser, as a person with their phone would.

Codes are computed from the device's key with django-otp's own TOTP function, the way the
authenticator app computes them. django-otp refuses a code twice (a replay), and a test may
sign the same person in twice within one 30-second step: then the next step's code (within the
device's tolerance of one step) is typed, and after that a backup code.
"""

from __future__ import annotations

import re
from typing import Any

from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.second_factor import backup_codes_renew, requires_second_factor
from tests.conftest import give_totp_device


def totp_code(device: TOTPDevice) -> str | None:
    """A code the device accepts now, or None when both usable steps are spent."""
    device.refresh_from_db()
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    step = max(now, device.last_t + 1)
    if step > now + device.tolerance:
        return None
    return str(hotp(device.bin_key, step, device.digits)).zfill(device.digits)


def prepare(username: str) -> None:
    """A person whose role requires a second factor has one before logging in."""
    user = User.objects.get(username=username)
    if requires_second_factor(user):
        give_totp_device(user)


def pass_second_factor(page: Any, base_url: str, username: str) -> None:
    """After the password: type the code if the verification page is shown."""
    page.wait_for_url(re.compile(re.escape(base_url) + r"/(second-factor/verify/.*)?$"))
    if "/second-factor/verify/" not in page.url:
        return
    user = User.objects.get(username=username)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = totp_code(device) or backup_codes_renew(user=user)[0]
    page.fill("#id_code", code)
    page.click("#verify")

"""A reviewer's first login in French: enrolment with the authenticator app (the key read off
the page, the code computed from it as the app would), backup codes, then a later login
verified with one of those codes."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"


def _password(page: Any, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_browser_reviewer_enrols_then_verifies_in_french(
    browser: Any, live_server: Any, org: Org
) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    base = live_server.url
    _password(page, base)
    page.wait_for_url(f"{base}/second-factor/setup/**")
    assert page.inner_text("h1") == "Configurer votre second facteur"
    assert page.locator("#totp-qr svg").count() == 1
    secret = page.inner_text("#totp-secret").strip()
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_code", "000000")
    page.click("#confirm-totp")
    assert "n\u2019est pas celui qu\u2019affiche votre application" in page.inner_text("main")
    # django-otp now waits a second before checking another code (doubling at each failure);
    # a person takes longer than that to retype. The test lifts the wait instead of sleeping.
    TOTPDevice.objects.filter(user=org.manager).update(throttling_failure_count=0)
    page.fill("#id_code", f"{totp(key):06d}")
    page.click("#confirm-totp")
    assert page.inner_text("h1") == "Vos codes de secours"
    codes = page.locator("#backup-codes code").all_inner_texts()
    assert len(codes) == 10
    page.click("#continue")
    page.wait_for_url(f"{base}/")
    page.click("header form button")
    page.wait_for_url("**/login/")

    _password(page, base)
    page.wait_for_url(f"{base}/second-factor/verify/**")
    assert page.inner_text("h1") == "Second facteur"
    page.fill("#id_code", codes[0])
    page.click("#verify")
    page.wait_for_url(f"{base}/")
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    context.close()

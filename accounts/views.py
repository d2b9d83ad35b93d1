"""The second-factor pages: enrolment, verification after the password, backup codes.

Thin: the writes are in ``accounts.second_factor``; django-otp checks the codes and, through
``django_otp.login``, marks the session verified.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts import second_factor as sf
from accounts.forms import CodeForm
from accounts.models import User


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # behind login_required
    return user


def _verified(request: HttpRequest) -> bool:
    return bool(request.user.is_verified())  # type: ignore[union-attr]


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = sf.second_factor_status(user)
    return render(request, "accounts/second_factor.html", {"status": status})


# never_cache on the steps: their pages hold a secret key or backup codes.
@never_cache
@login_required
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = sf.second_factor_status(user)
    if status.has_device:
        # A new device is added only by someone who has proved the current one: otherwise a
        # stolen password could enrol the thief's phone.
        if not _verified(request):
            return redirect(
                reverse("accounts:second_factor_verify") + "?" + request.GET.urlencode()
            )
        messages.info(request, _("Your authenticator app is already set up."))
        return redirect("accounts:second_factor")
    device = sf.totp_device_pending(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = sf.totp_device_confirm(user=user, token=form.cleaned_data["code"])
        except sf.SecondFactorError as exc:
            form.add_error("code", str(exc))
        else:
            otp_login(request, device)
            return render(
                request, "accounts/backup_codes.html", {"codes": codes, "next": _next(request)}
            )
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "accounts/second_factor_setup.html",
        {
            "form": form,
            # segno writes the SVG itself from the device's URI: nothing of the user's in it.
            "qr_svg": mark_safe(qr.svg_inline(scale=4, title=_("QR code to scan"))),  # noqa: S308
            "secret": sf.totp_secret(device),
            "required": status.required,
            "next": _next(request),
        },
    )


@never_cache
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    user = _user(request)
    if _verified(request):
        return HttpResponseRedirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = sf.second_factor_check(user=user, token=form.cleaned_data["code"])
            if device is None:
                raise sf.SecondFactorError(
                    _("This code is not valid. Try the current one or a backup code.")
                )
        except sf.SecondFactorError as exc:
            form.add_error("code", str(exc))
        else:
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
    return render(
        request, "accounts/second_factor_verify.html", {"form": form, "next": _next(request)}
    )


@never_cache
@login_required
@require_POST
def backup_codes_renew(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not _verified(request):
        return redirect("accounts:second_factor_verify")
    codes = sf.backup_codes_renew(user=user)
    return render(
        request,
        "accounts/backup_codes.html",
        {"codes": codes, "next": reverse("accounts:second_factor")},
    )

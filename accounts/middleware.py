"""Nobody who must use a second factor reaches a page before using it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from accounts.models import User
from accounts.second_factor import second_factor_status

# Pages a signed-in person may open before their second factor: the steps themselves, leaving,
# the language switch (the steps are in the person's language), and the footer's public pages.
EXEMPT = {
    "legal_notice",
    "accessibility",
    "accounts:second_factor_setup",
    "accounts:second_factor_verify",
    "logout",
    "login",
    "set_language",
}


class SecondFactorMiddleware:
    """After django-otp's OTPMiddleware: a user not verified in this session is sent to
    verification when they have a device, to enrolment when their roles require one; an
    author without a device goes on (the second factor is optional for them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and not user.is_verified() and not _exempt(request):  # type: ignore[attr-defined]  # django-otp's OTPMiddleware adds it
            status = second_factor_status(user)
            target = ""
            if status.has_device:
                target = "accounts:second_factor_verify"
            elif status.required:
                target = "accounts:second_factor_setup"
            if target:
                url = reverse(target) + "?" + urlencode({"next": request.get_full_path()})
                if request.headers.get("HX-Request"):
                    # htmx would swap the step's page into a fragment: make it navigate.
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return HttpResponseRedirect(url)
        return self.get_response(request)


def _exempt(request: HttpRequest) -> bool:
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in EXEMPT

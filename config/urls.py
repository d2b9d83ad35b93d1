from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django_otp.admin import OTPAdminSite

# The admin asks for the second factor too: a session not verified with a device is not let in
# (django-otp's OTPAdminSite; swapping the class keeps every ModelAdmin registered on admin.site).
admin.site.__class__ = OTPAdminSite


def admin_login(request: HttpRequest) -> HttpResponse:
    """One login for the site and the admin: the web login, throttled by django-axes, then the
    second factor. The admin's own form (password and code together) is never offered, so it
    is no second door for guessing passwords."""
    query = urlencode({"next": request.GET.get("next") or reverse("admin:index")})
    return redirect(reverse("login") + "?" + query)


urlpatterns = [
    # Before the admin: /admin/health/ is the publishing health page, inside the admin's look.
    path("", include("publishing.urls")),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("editorial.urls")),
]

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.views.generic import TemplateView
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


# Signing in: one login for the site and the admin, logout, then the second factor (accounts).
signin_urls: list[URLPattern | URLResolver] = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Before the admin's own login page, which it replaces.
    path("admin/login/", admin_login),
    path("", include("accounts.urls")),
]

# The pages every public site of the State links from its footer: public, no login.
footer_urls: list[URLPattern | URLResolver] = [
    path(
        "mentions-legales/",
        TemplateView.as_view(template_name="pages/legal_notice.html"),
        name="legal_notice",
    ),
    path(
        "accessibilite/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
]

# One line per area. Order matters only where paths meet: publishing and the sign-in pages
# come before the admin (they own /admin/health/ and /admin/login/); editorial's pages start
# at the root and overlap no other area's.
urlpatterns = [
    # Probes, metrics, the admin health page (inside the admin's look), accounts, late posts.
    path("", include("publishing.urls")),
    path("", include(signin_urls)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(footer_urls)),
    # The newsroom: dashboard, posts, review, consultations, freezes, notifications...
    path("", include("editorial.urls")),
]

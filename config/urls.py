from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_otp.admin import OTPAdminSite

# The admin asks for the second factor too: its login form takes the password and a code, and a
# session that has not been verified with a device is not let in (django-otp's OTPAdminSite).
# Swapping the class keeps every ModelAdmin registered on admin.site.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    # Before the admin: /admin/health/ is the publishing health page, inside the admin's look.
    path("", include("publishing.urls")),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("editorial.urls")),
]

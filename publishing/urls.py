from __future__ import annotations

from django.urls import path

from publishing import views, views_connect, views_late

app_name = "publishing"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.prometheus, name="metrics"),
    path("admin/health/", views.health, name="health"),
    path("posts/<int:pk>/late/confirm/", views_late.confirm_late, name="confirm_late"),
    path("posts/<int:pk>/late/cancel/", views_late.cancel_late, name="cancel_late"),
    path("accounts/", views_connect.accounts, name="accounts"),
    path("accounts/<int:pk>/test/", views_connect.test_connection, name="test_connection"),
    path("accounts/connect/mastodon/", views_connect.connect_mastodon, name="connect_mastodon"),
    path(
        "accounts/connect/mastodon/callback/",
        views_connect.connect_mastodon_callback,
        name="connect_mastodon_callback",
    ),
    path("accounts/connect/bluesky/", views_connect.connect_bluesky, name="connect_bluesky"),
]

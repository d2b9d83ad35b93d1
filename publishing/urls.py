"""The publishing pages, one list per area (the module of ``publishing.views`` that serves it).

Every path is written out in full; the areas share the ``publishing`` namespace and no two
paths overlap. ``config.urls`` mounts this module before the admin, for ``admin/health/``.
"""

from __future__ import annotations

from django.urls import include, path

from publishing.views import connect, health, late, records

app_name = "publishing"

health_urls = [
    path("healthz", health.healthz, name="healthz"),
    path("metrics", health.prometheus, name="metrics"),
    path("admin/health/", health.health, name="health"),
]

late_urls = [
    path("posts/<int:pk>/late/confirm/", late.confirm_late, name="confirm_late"),
    path("posts/<int:pk>/late/cancel/", late.cancel_late, name="cancel_late"),
]

connect_urls = [
    path("accounts/", connect.accounts, name="accounts"),
    path("accounts/<int:pk>/test/", connect.test_connection, name="test_connection"),
    path("accounts/connect/mastodon/", connect.connect_mastodon, name="connect_mastodon"),
    path(
        "accounts/connect/mastodon/callback/",
        connect.connect_mastodon_callback,
        name="connect_mastodon_callback",
    ),
    path("accounts/connect/bluesky/", connect.connect_bluesky, name="connect_bluesky"),
]

records_urls = [
    path("records/", records.records, name="records"),
]

urlpatterns = [
    path("", include(health_urls)),
    path("", include(late_urls)),
    path("", include(connect_urls)),
    path("", include(records_urls)),
]

"""The publishing pages, one list per area (the module of ``publishing.views`` that serves it).

Every path is written out in full; the areas share the ``publishing`` namespace and no two
paths overlap. ``config.urls`` mounts this module before the admin, for ``admin/health/``.
"""

from __future__ import annotations

from django.urls import include, path

from publishing.views import connect, health, identity, late, public, records

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

# No login: "Qui publie ici ?" (the bylines link here, so the paths stay short).
public_urls = [
    path("public/", public.public_accounts, name="public_accounts"),
    path("public/a/<int:pk>/", public.public_account, name="public_account"),
    path("public/p/<int:pk>/", public.public_post, name="public_post"),
]

# Who speaks, as its people set it: an account's public identity, an agent's public profile.
identity_urls = [
    path("accounts/<int:pk>/identity/", identity.account_identity, name="account_identity"),
    path(
        "accounts/<int:pk>/identity/preview/",
        identity.account_byline_preview,
        name="account_byline_preview",
    ),
    path("profile/public/", identity.public_profile, name="public_profile"),
]

records_urls = [
    path("records/", records.records, name="records"),
]

urlpatterns = [
    path("", include(health_urls)),
    path("", include(late_urls)),
    path("", include(connect_urls)),
    path("", include(public_urls)),
    path("", include(identity_urls)),
    path("", include(records_urls)),
]

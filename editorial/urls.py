"""The editorial pages, one list per area (the module of ``editorial.views`` that serves it).

Every path is written out in full in its list, so a search for a path finds it here; the areas
share the ``editorial`` namespace and no two paths overlap, so the order of the lists does not
matter to the resolver.
"""

from __future__ import annotations

from django.urls import include, path

from editorial.views import (
    calendar,
    comments,
    consultations,
    delegations,
    freezes,
    live,
    notifications,
    posts,
    review,
    search,
    settings,
    settings_chains,
    settings_charters,
    settings_elections,
    urgent,
    waivers,
)

app_name = "editorial"

posts_urls = [
    path("", posts.dashboard, name="dashboard"),
    path("posts/new/", posts.compose, name="compose"),
    path("posts/live-check/", live.live_check, name="live_check"),
    path("posts/<int:pk>/", posts.post_detail, name="post"),
    path("posts/<int:pk>/edit/", posts.edit, name="edit"),
    path("posts/<int:pk>/media/<int:media_id>/", posts.media, name="media"),
    path("posts/<int:pk>/submit/", posts.submit, name="submit"),
]

review_urls = [
    path("review/", review.review_queue, name="queue"),
    path("posts/<int:pk>/approve/", review.approve, name="approve"),
    path("posts/<int:pk>/request-changes/", review.request_changes, name="request_changes"),
    path("posts/<int:pk>/schedule/", review.schedule, name="schedule"),
    path("posts/<int:pk>/retry/", review.retry, name="retry"),
    path("posts/<int:pk>/withdraw/", review.withdraw, name="withdraw"),
    path("posts/<int:pk>/retract/", review.retract, name="retract"),
]

urgent_urls = [
    path("posts/<int:pk>/urgent/", urgent.publish_urgently, name="publish_urgently"),
    path(
        "posts/<int:pk>/posthoc/<int:review_id>/",
        urgent.posthoc_review,
        name="posthoc_review",
    ),
]

consultations_urls = [
    path("posts/<int:pk>/consultations/", consultations.ask, name="consultation_ask"),
    path("consultations/<int:pk>/answer/", consultations.answer, name="consultation_answer"),
    path("consultations/<int:pk>/cancel/", consultations.cancel, name="consultation_cancel"),
]

waivers_urls = [
    path("posts/<int:pk>/waivers/", waivers.grant, name="waiver_grant"),
    path("waivers/report/", waivers.report, name="waivers_report"),
]

comments_urls = [
    path("posts/<int:pk>/comments/", comments.comment_add, name="comment_add"),
]

freezes_urls = [
    path("freezes/", freezes.freezes, name="freezes"),
    path("freezes/<int:pk>/lift/", freezes.freeze_lift, name="freeze_lift"),
]

notifications_urls = [
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path(
        "notifications/preferences/",
        notifications.notification_preferences,
        name="notification_preferences",
    ),
]

search_urls = [
    path("search/", search.search, name="search"),
]

delegations_urls = [
    path("delegations/", delegations.delegation_list, name="delegations"),
    path("delegations/<int:pk>/end/", delegations.delegation_end, name="delegation_end"),
]

settings_urls = [
    path("settings/", settings.settings_hub, name="settings"),
    path("settings/units/<int:pk>/members/", settings.unit_members, name="settings_members"),
    path(
        "settings/memberships/<int:pk>/delete/",
        settings.membership_delete,
        name="settings_membership_delete",
    ),
    path("settings/accounts/<int:pk>/rights/", settings.account_rights, name="settings_rights"),
    path("settings/grants/<int:pk>/delete/", settings.grant_delete, name="settings_grant_delete"),
    path("settings/elections/", settings_elections.elections, name="settings_elections"),
    path(
        "settings/elections/<int:pk>/",
        settings_elections.election_edit,
        name="settings_election_edit",
    ),
    path(
        "settings/elections/<int:pk>/delete/",
        settings_elections.election_delete,
        name="settings_election_delete",
    ),
    path(
        "settings/elections/referents/",
        settings_elections.referent_add,
        name="settings_referent_add",
    ),
    path(
        "settings/referents/<int:pk>/remove/",
        settings_elections.referent_remove,
        name="settings_referent_remove",
    ),
]

calendar_urls = [
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/events/", calendar.calendar_events, name="calendar_events"),
    path("calendar/posts/<int:pk>/move/", calendar.calendar_move, name="calendar_move"),
]

# The rules screens of the configuration hub (``settings``): approval chains and charters.
settings_rules_urls = [
    path("settings/chains/", settings_chains.chains, name="settings_chains"),
    path("settings/chains/new/", settings_chains.chain_create, name="settings_chain_create"),
    path("settings/chains/<int:pk>/", settings_chains.chain_edit, name="settings_chain"),
    path(
        "settings/chains/<int:pk>/delete/",
        settings_chains.chain_delete,
        name="settings_chain_delete",
    ),
    path("settings/charters/", settings_charters.charters, name="settings_charters"),
    path(
        "settings/charters/new/",
        settings_charters.charter_create,
        name="settings_charter_create",
    ),
    path("settings/charters/<int:pk>/", settings_charters.charter_detail, name="settings_charter"),
    path(
        "settings/charters/<int:pk>/edit/",
        settings_charters.charter_edit,
        name="settings_charter_edit",
    ),
    path(
        "settings/charters/<int:pk>/diff/",
        settings_charters.charter_diff,
        name="settings_charter_diff",
    ),
]

urlpatterns = [
    path("", include(posts_urls)),
    path("", include(review_urls)),
    path("", include(urgent_urls)),
    path("", include(consultations_urls)),
    path("", include(waivers_urls)),
    path("", include(comments_urls)),
    path("", include(freezes_urls)),
    path("", include(notifications_urls)),
    path("", include(delegations_urls)),
    path("", include(settings_urls)),
    path("", include(calendar_urls)),
    path("", include(settings_rules_urls)),
    path("", include(search_urls)),
]

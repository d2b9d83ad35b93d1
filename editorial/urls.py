"""The editorial pages, one list per area (the module of ``editorial.views`` that serves it).

Every path is written out in full in its list, so a search for a path finds it here; the areas
share the ``editorial`` namespace and no two paths overlap, so the order of the lists does not
matter to the resolver.
"""

from __future__ import annotations

from django.urls import include, path

from editorial.views import (
    comments,
    consultations,
    delegations,
    freezes,
    notifications,
    posts,
    review,
    search,
    urgent,
    waivers,
)

app_name = "editorial"

posts_urls = [
    path("", posts.dashboard, name="dashboard"),
    path("posts/new/", posts.compose, name="compose"),
    path("posts/live-check/", posts.live_check, name="live_check"),
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
    path("", include(search_urls)),
]

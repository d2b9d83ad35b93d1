from __future__ import annotations

from django.urls import path

from editorial.views import comments as views_comments
from editorial.views import consultations as views_consultations
from editorial.views import delegations as views_delegations
from editorial.views import freezes as views_freezes
from editorial.views import notifications as views_notifications
from editorial.views import posts as views
from editorial.views import review as views_review
from editorial.views import urgent as views_urgent
from editorial.views import waivers as views_waivers

app_name = "editorial"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("review/", views_review.review_queue, name="queue"),
    path("posts/new/", views.compose, name="compose"),
    path("posts/live-check/", views.live_check, name="live_check"),
    path("posts/<int:pk>/", views.post_detail, name="post"),
    path("posts/<int:pk>/edit/", views.edit, name="edit"),
    path("posts/<int:pk>/media/<int:media_id>/", views.media, name="media"),
    path("posts/<int:pk>/submit/", views.submit, name="submit"),
    path("posts/<int:pk>/approve/", views_review.approve, name="approve"),
    path("posts/<int:pk>/request-changes/", views_review.request_changes, name="request_changes"),
    path("posts/<int:pk>/schedule/", views_review.schedule, name="schedule"),
    path("posts/<int:pk>/retry/", views_review.retry, name="retry"),
    path("posts/<int:pk>/withdraw/", views_review.withdraw, name="withdraw"),
    path("posts/<int:pk>/retract/", views_review.retract, name="retract"),
    path("posts/<int:pk>/urgent/", views_urgent.publish_urgently, name="publish_urgently"),
    path(
        "posts/<int:pk>/posthoc/<int:review_id>/",
        views_urgent.posthoc_review,
        name="posthoc_review",
    ),
    path("posts/<int:pk>/consultations/", views_consultations.ask, name="consultation_ask"),
    path("consultations/<int:pk>/answer/", views_consultations.answer, name="consultation_answer"),
    path("consultations/<int:pk>/cancel/", views_consultations.cancel, name="consultation_cancel"),
    path("freezes/", views_freezes.freezes, name="freezes"),
    path("freezes/<int:pk>/lift/", views_freezes.freeze_lift, name="freeze_lift"),
    path("notifications/", views_notifications.notifications, name="notifications"),
    path("notifications/read/", views_notifications.notifications_read, name="notifications_read"),
    path("posts/<int:pk>/comments/", views_comments.comment_add, name="comment_add"),
    path(
        "notifications/preferences/",
        views_notifications.notification_preferences,
        name="notification_preferences",
    ),
    path("delegations/", views_delegations.delegation_list, name="delegations"),
    path("delegations/<int:pk>/end/", views_delegations.delegation_end, name="delegation_end"),
    path("posts/<int:pk>/waivers/", views_waivers.grant, name="waiver_grant"),
    path("waivers/report/", views_waivers.report, name="waivers_report"),
]

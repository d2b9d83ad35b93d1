from __future__ import annotations

from django.urls import path

from editorial import views, views_consultations

app_name = "editorial"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("review/", views.review_queue, name="queue"),
    path("posts/new/", views.compose, name="compose"),
    path("posts/live-check/", views.live_check, name="live_check"),
    path("posts/<int:pk>/", views.post_detail, name="post"),
    path("posts/<int:pk>/edit/", views.edit, name="edit"),
    path("posts/<int:pk>/media/<int:media_id>/", views.media, name="media"),
    path("posts/<int:pk>/submit/", views.submit, name="submit"),
    path("posts/<int:pk>/approve/", views.approve, name="approve"),
    path("posts/<int:pk>/request-changes/", views.request_changes, name="request_changes"),
    path("posts/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("posts/<int:pk>/retry/", views.retry, name="retry"),
    path("posts/<int:pk>/consultations/", views_consultations.ask, name="consultation_ask"),
    path("consultations/<int:pk>/answer/", views_consultations.answer, name="consultation_answer"),
    path("consultations/<int:pk>/cancel/", views_consultations.cancel, name="consultation_cancel"),
    path("freezes/", views.freezes, name="freezes"),
    path("freezes/<int:pk>/lift/", views.freeze_lift, name="freeze_lift"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]

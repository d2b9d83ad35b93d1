from __future__ import annotations

from django.urls import path

from publishing import views

app_name = "publishing"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.prometheus, name="metrics"),
    path("admin/health/", views.health, name="health"),
]

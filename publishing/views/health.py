"""Operations endpoints: a liveness probe, the Prometheus metrics and the admin health page.

None of them writes; the figures come from ``publishing.metrics``.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from editorial.selectors import urgent
from publishing import metrics

EXPOSITION_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the load balancer: the process answers and the database takes a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@never_cache
@require_GET
def prometheus(request: HttpRequest) -> HttpResponse:
    """The figures for a Prometheus scraper holding METRICS_TOKEN.

    Without a configured token the endpoint does not exist (404), so an unconfigured
    deployment publishes nothing; a missing or wrong token is refused (403).
    """
    expected: str = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    if not hmac.compare_digest(_bearer(request).encode(), expected.encode()):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics.exposition(metrics.collect()), content_type=EXPOSITION_TYPE)


@dataclass(frozen=True)
class HealthRow:
    title: str
    labels: str
    value: str
    warning: bool


def _health_rows(figures: list[metrics.Metric]) -> list[HealthRow]:
    rows = []
    for metric in figures:
        for sample in metric.samples:
            value = sample.value
            shown = (
                "—"
                if math.isnan(value)
                else (f"{value:.0f}" if value.is_integer() else f"{value:.2f}")
            )
            rows.append(
                HealthRow(
                    title=str(metric.title),
                    labels=", ".join(v for _, v in sample.labels),
                    value=shown,
                    warning=sample.warning,
                )
            )
    return rows


@never_cache
@staff_member_required
def health(request: HttpRequest) -> HttpResponse:
    """The same figures for staff, in the admin, with the ones that need a look in colour."""
    now = timezone.now()
    context = {
        **admin.site.each_context(request),
        "title": "",
        "rows": _health_rows(metrics.collect(now=now)),
        "now": now,
        "overdue_seconds": settings.METRICS_OVERDUE_SECONDS,
        "lateness_warning_seconds": settings.METRICS_LATENESS_WARNING_SECONDS,
        # Urgent publications whose skipped approvers have not reviewed them in time.
        "overdue_posthoc": list(urgent.posthoc_reviews_overdue(now=now)[:200]),
    }
    return render(request, "publishing/health.html", context)

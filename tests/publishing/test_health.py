"""The operations endpoints: liveness, the Prometheus metrics behind a token, the staff page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from accounts.models import User
from editorial import services as editorial
from publishing.models import Publication, PublicationState
from tests.conftest import Org
from tests.factories import make_user

EN = {"accept-language": "en"}
SAMPLE = re.compile(
    r'^porte_voix_publishing_[a-z0-9_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? (NaN|-?[0-9.]+)$'
)


def _staff() -> User:
    return make_user(username="ops", is_staff=True)


def test_healthz_answers_ok_with_one_query(
    client: Client, django_assert_num_queries: Any, db: None
) -> None:
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_metrics_is_not_found_without_a_configured_token(
    client: Client, settings: Any, db: None
) -> None:
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", headers={"authorization": "Bearer "})
    assert response.status_code == 404


def test_metrics_refuses_a_request_without_a_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403


def test_metrics_refuses_a_wrong_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-token"
    response = client.get("/metrics", headers={"authorization": "Bearer s3cret-tokeN"})
    assert response.status_code == 403


def test_metrics_refuses_another_scheme(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-token"
    response = client.get("/metrics", headers={"authorization": "Basic s3cret-token"})
    assert response.status_code == 403


def test_metrics_answers_the_exposition_format_with_the_right_token(
    client: Client, settings: Any, org: Org
) -> None:
    settings.METRICS_TOKEN = "s3cret-token"
    response = client.get("/metrics", headers={"authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    lines = response.content.decode().splitlines()
    helped = {line.split()[2] for line in lines if line.startswith("# HELP ")}
    typed = {line.split()[2] for line in lines if line.startswith("# TYPE ")}
    assert helped == typed
    assert all(line.endswith(" gauge") for line in lines if line.startswith("# TYPE "))
    samples = [line for line in lines if not line.startswith("#")]
    assert [line for line in samples if not SAMPLE.match(line)] == []
    assert {s.split("{")[0].split(" ")[0] for s in samples} == helped
    assert 'porte_voix_publishing_overdue_publications{network="mastodon"} 0' in samples
    assert (
        'porte_voix_publishing_failed_attempts_24h{network="bluesky",kind="permanent"} 0' in samples
    )


def test_metrics_refuses_post(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-token"
    response = client.post("/metrics", headers={"authorization": "Bearer s3cret-token"})
    assert response.status_code == 405


def test_health_page_sends_anonymous_visitors_to_the_admin_login(client: Client, db: None) -> None:
    response = client.get("/admin/health/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_health_page_refuses_users_who_are_not_staff(client: Client, org: Org) -> None:
    client.force_login(org.manager)
    response = client.get("/admin/health/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_health_page_shows_the_figures_to_staff(client: Client, org: Org) -> None:
    client.force_login(_staff())
    response = client.get("/admin/health/", headers=EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Publishing health" in page
    assert "Overdue publications" in page
    assert 'class="warning"' not in page


def test_health_page_marks_an_overdue_publication_as_a_warning(client: Client, org: Org) -> None:
    due = timezone.now() - timedelta(hours=1)
    Publication.objects.create(
        post=editorial.post_create(by=org.officer, accounts=[org.mastodon], text="Texte."),
        account=org.mastodon,
        text="Texte.",
        byline="",
        language="fr",
        scheduled_by=org.manager,
        due_at=due,
        next_attempt_at=due,
        state=PublicationState.PENDING,
    )
    client.force_login(_staff())
    page = client.get("/admin/health/", headers=EN).content.decode()
    assert page.count('class="warning"') == 1
    assert "Warning" in page

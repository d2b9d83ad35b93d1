"""The re-check as people meet it: the schedule form's refusal in words, the held post's
banner, and the list of held posts shown to the administrator who declares an election."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client
from django.urls import reverse

from charter.models import ElectionWindow
from editorial import services
from editorial.models import Post, PostState
from tests.conftest import Org
from tests.factories import make_user

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
SATURDAY_NOON = datetime(2026, 3, 14, 12, 0, tzinfo=PARIS)


def _approved(org: Org) -> Post:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Le guichet unique ouvre lundi."
    )
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    return post


def _client(user: object, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _election(org: Org) -> None:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=date(2026, 3, 15)
    )


def test_schedule_view_refuses_a_time_in_the_silence_in_french(org: Org) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org)
        _election(org)
        response = _client(org.manager, "fr").post(
            reverse("editorial:schedule", args=[post.pk]),
            {"at": "2026-03-14T12:00"},
            follow=True,
        )
    assert "Non programmé\u00a0: le " in response.content.decode()
    post.refresh_from_db()
    assert post.state == PostState.APPROVED


def test_post_page_shows_why_a_post_is_held(org: Org) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org)
        services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
        _election(org)
        with time_machine.travel(SATURDAY_NOON, tick=False):
            locked = Post.objects.select_for_update().get(pk=post.pk)
            services.post_start_publishing(post=locked)
        page = _client(org.officer, "en").get(reverse("editorial:post", args=[post.pk]))
    html = page.content.decode()
    assert 'id="charter-hold"' in html
    assert "electoral silence" in html
    assert 'data-state="held"' in html


def test_admin_declaring_an_election_lists_the_posts_it_held(org: Org) -> None:
    admin_user = make_user(username="root", is_superuser=True, is_staff=True)
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org)
        services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
        response = _client(admin_user, "en").post(
            reverse("admin:charter_electionwindow_add"),
            {
                "name": "Municipales 2026",
                "kind": "municipal",
                "unit": org.ministry.pk,
                "window_start": "",
                "first_round": "2026-03-15",
                "second_round": "",
                "time_zone": "Europe/Paris",
                "polls_close": "",
            },
            follow=True,
        )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    held = [m for m in shown if "held by the charter" in m]
    assert len(held) == 1 and f"#{post.pk}" in held[0]
    post.refresh_from_db()
    assert post.state == PostState.HELD


def test_admin_deactivating_an_account_lists_the_posts_it_held(org: Org) -> None:
    admin_user = make_user(username="root", is_superuser=True, is_staff=True)
    post = _approved(org)
    services.post_schedule(post=post, by=org.manager)
    account = org.mastodon
    response = _client(admin_user, "en").post(
        reverse("admin:accounts_socialaccount_change", args=[account.pk]),
        {
            "network": account.network,
            "server_url": account.server_url,
            "handle": account.handle,
            "unit": account.unit_id,
            "byline_template": account.byline_template,
            "max_characters": account.max_characters,
            "characters_reserved_per_url": account.characters_reserved_per_url,
            # is_active left out: the checkbox unticked
            "secret": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    held = [str(m) for m in response.context["messages"] if "held by the charter" in str(m)]
    assert len(held) == 1 and f"#{post.pk}" in held[0] and "deactivated" in held[0]
    post.refresh_from_db()
    assert post.state == PostState.HELD

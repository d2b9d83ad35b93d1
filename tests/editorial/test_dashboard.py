"""The dashboard (editorial.views.posts.dashboard, editorial.selectors.dashboard): the next
scheduled post per account, freezes, failures, late reviews and the week's counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services
from editorial.models import Post, PostState
from editorial.selectors.dashboard import dashboard_for
from tests.conftest import Org
from tests.factories import make_account, make_user

URL = reverse("editorial:dashboard")


def _draft(org: Org, text: str = "Réunion jeudi.", **kwargs: Any) -> Post:
    accounts = kwargs.pop("accounts", [org.mastodon])
    return services.post_create(by=org.officer, accounts=accounts, text=text, **kwargs)


def _scheduled(org: Org, at: datetime, **kwargs: Any) -> Post:
    post = _draft(org, **kwargs)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=at)
    post.refresh_from_db()
    return post


def _line(org: Org, account_pk: int, now: datetime) -> object:
    board = dashboard_for(org.manager, now=now)
    return next(line for line in board.accounts if line.account.pk == account_pk)


def test_dashboard_shows_the_next_scheduled_post_of_each_account(
    frozen_now: datetime, org: Org
) -> None:
    later = _scheduled(org, frozen_now + timedelta(days=3), text="Plus tard.")
    sooner = _scheduled(org, frozen_now + timedelta(days=1), text="Bientôt.")
    board = dashboard_for(org.manager, now=frozen_now)
    lines = {line.account.pk: line for line in board.accounts}
    assert lines[org.mastodon.pk].next_post == sooner
    assert lines[org.bluesky.pk].next_post is None
    assert later.pk != sooner.pk


def test_dashboard_page_names_the_next_post_and_says_nothing_else_is_scheduled(
    frozen_now: datetime, org: Org, client: Client
) -> None:
    post = _scheduled(org, frozen_now + timedelta(days=1), text="Fête de la musique.")
    client.force_login(org.manager)
    html = client.get(URL, headers={"accept-language": "fr"}).content.decode()
    row = html.split(f'id="account-{org.mastodon.pk}"')[1].split("</tr>")[0]
    assert f"#{post.pk} Fête de la musique." in row
    other = html.split(f'id="account-{org.bluesky.pk}"')[1].split("</tr>")[0]
    assert "Rien de programmé" in other


def test_dashboard_tells_which_account_is_frozen_since_when_and_by_whom(
    frozen_now: datetime, org: Org, client: Client
) -> None:
    services.freeze_create(account=org.mastodon, reason="Incident.", by=org.manager)
    client.force_login(org.manager)
    html = client.get(URL, headers={"accept-language": "en"}).content.decode()
    frozen = html.split(f'id="account-{org.mastodon.pk}"')[1].split("</tr>")[0]
    assert 'data-frozen="1"' in frozen and f"by {org.manager}" in frozen
    assert "Publishing open" in html.split(f'id="account-{org.bluesky.pk}"')[1].split("</tr>")[0]


def test_dashboard_lists_failed_posts_and_late_reviews(frozen_now: datetime, org: Org) -> None:
    failed = _draft(org, text="Échec.")
    Post.objects.filter(pk=failed.pk).update(state=PostState.FAILED)  # the publisher's verdict
    late = _draft(org, text="En retard.", requested_publish_at=frozen_now + timedelta(hours=1))
    services.post_submit(post=late, by=org.officer)
    on_time = _draft(org, text="À l'heure.", requested_publish_at=frozen_now + timedelta(days=2))
    services.post_submit(post=on_time, by=org.officer)
    board = dashboard_for(org.manager, now=frozen_now + timedelta(hours=2))
    assert board.failures == [failed]
    assert board.overdue == [late]


def test_dashboard_counts_the_weeks_steps_from_monday(frozen_now: datetime, org: Org) -> None:
    # FROZEN_NOW is a Monday at 10:00 in Paris: last week's posts do not count.
    with time_machine.travel(frozen_now - timedelta(days=1), tick=False):
        _draft(org, text="Dimanche.")
    submitted = _draft(org, text="Lundi.")
    services.post_submit(post=submitted, by=org.officer)
    _draft(org, text="Lundi aussi.")
    week = dashboard_for(org.manager, now=frozen_now).week
    assert week == {"drafted": 2, "submitted": 1, "approved": 0, "published": 0, "failed": 0}


def test_dashboard_counts_only_posts_the_reader_may_see(frozen_now: datetime, org: Org) -> None:
    _draft(org, text="Interne.")
    assert dashboard_for(org.outsider, now=frozen_now).week["drafted"] == 0
    assert dashboard_for(org.outsider, now=frozen_now).accounts == []


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_accounts_and_posts(
    frozen_now: datetime, org: Org, client: Client
) -> None:
    client.force_login(org.manager)
    _scheduled(org, frozen_now + timedelta(days=1))
    first_failure = _draft(org, text="Premier échec.")
    Post.objects.filter(pk=first_failure.pk).update(state=PostState.FAILED)
    _queries(client)  # warm the session
    one = _queries(client)
    for n in range(19):
        account = make_account(org.service, "mastodon")
        _scheduled(org, frozen_now + timedelta(days=1, minutes=n), accounts=[account])
        failed = _draft(org, text=f"Échec {n}.", accounts=[account])
        Post.objects.filter(pk=failed.pk).update(state=PostState.FAILED)
    assert len(dashboard_for(org.manager, now=frozen_now).accounts) == 21
    assert _queries(client) == one


def test_dashboard_shows_an_organisation_wide_freeze_on_every_account(
    frozen_now: datetime, org: Org
) -> None:
    cabinet = make_user(username="cabinet")
    membership_create(user=cabinet, unit=org.ministry, role=Membership.Role.ADMIN)
    freeze = services.freeze_create(account=None, reason="Période de réserve.", by=cabinet)
    board = dashboard_for(org.manager, now=frozen_now)
    assert board.org_freeze == freeze
    assert {line.freeze for line in board.accounts} == {freeze}

"""The main pages cost a bounded number of queries however many posts the organisation holds
(issue #15; the times are measured by bench/pages_bench.py, never asserted here).

Each of the four pages of the issue (review queue, search, calendar JSON, public account page)
costs the same with one row as with twenty, and at most its stated maximum. The review queue
resolves the approval chain of each post it shows: it reads their accounts and approvals for
all of them at once and each account's reviewers once, so neither the reviewer's own queue
nor the rest of the organisation (posts in review in other units, published posts, drafts)
adds queries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, OrgUnit
from accounts.services import membership_create
from editorial import services
from editorial.models import Post, PostState
from publishing import services as publishing
from tests.conftest import Org
from tests.factories import make_account, make_unit, make_user
from tests.publishing.conftest import fake, scheduled

__all__ = ["fake"]  # the fake network adapter fixture, for the public page's posts

# Measured on PostgreSQL with these tests (queue 28, search 16, calendar 12, public page 7):
# the session, second factor, navigation and rights, the page's own reads, and for the queue
# the chains of all its posts read in bulk. Two queries of room, no more: a regression that
# adds a query per row, or a new read per page, shows here.
QUEUE_MAX_QUERIES = 30
SEARCH_MAX_QUERIES = 18
CALENDAR_MAX_QUERIES = 14
PUBLIC_ACCOUNT_MAX_QUERIES = 9


def _elsewhere(count: int) -> None:
    """``count`` posts in review, and as many drafts, in another ministry's unit."""
    unit = make_unit(name="Autre ministère", code="mau", kind=OrgUnit.Kind.MINISTRY)
    account = make_account(unit, "mastodon")
    author, reviewer = make_user(username="o_author"), make_user(username="o_reviewer")
    membership_create(user=author, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=reviewer, unit=unit, role=Membership.Role.REVIEWER)
    for n in range(count):
        post = services.post_create(by=author, accounts=[account], text=f"Avis n° {n}.")
        services.post_submit(post=post, by=author)
        services.post_create(by=author, accounts=[account], text=f"Brouillon n° {n}.")


def _queue_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("editorial:queue"))
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_pages_queries_queue_does_not_grow_with_the_organisation(
    frozen_now: datetime, org: Org
) -> None:
    mine = services.post_create(by=org.officer, accounts=[org.mastodon], text="À relire.")
    services.post_submit(post=mine, by=org.officer)
    client = Client()
    client.force_login(org.manager)
    client.get(reverse("editorial:queue"))  # the session's first reads, once
    _elsewhere(1)
    one = _queue_queries(client)
    _more_elsewhere(49)
    fifty = _queue_queries(client)
    assert fifty == one
    assert one <= QUEUE_MAX_QUERIES
    assert str(mine.pk) in client.get(reverse("editorial:queue")).content.decode()


def _more_elsewhere(count: int) -> None:
    from editorial.models import Post

    author = make_user(username=f"o_author_{count}")
    unit = OrgUnit.objects.get(code="mau")
    account = unit.social_accounts.get()
    membership_create(user=author, unit=unit, role=Membership.Role.AUTHOR)
    for n in range(count):
        post = services.post_create(by=author, accounts=[account], text=f"Autre avis n° {n}.")
        services.post_submit(post=post, by=author)
    assert Post.objects.filter(state="in_review", unit=unit).count() == count + 1


def _count(client: Client, url: str, query: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return len(captured)


def _in_review(org: Org, count: int) -> None:
    for n in range(count):
        post = services.post_create(by=org.officer, accounts=[org.mastodon], text=f"Relire {n}.")
        services.post_submit(post=post, by=org.officer)


@pytest.mark.django_db
def test_pages_queries_queue_does_not_grow_with_the_users_queue(
    frozen_now: datetime, org: Org
) -> None:
    client = Client()
    client.force_login(org.manager)
    _in_review(org, 1)
    client.get(reverse("editorial:queue"))  # the session's first reads, once
    one = _count(client, reverse("editorial:queue"))
    _in_review(org, 19)
    twenty = _count(client, reverse("editorial:queue"))
    shown = client.get(reverse("editorial:queue")).context["queue"]
    assert len(shown) == 20
    assert twenty == one
    assert one <= QUEUE_MAX_QUERIES


@pytest.mark.django_db
def test_pages_queries_search_is_bounded(frozen_now: datetime, org: Org) -> None:
    client = Client()
    client.force_login(org.manager)
    url, query = reverse("editorial:search"), {"q": "travaux", "account": str(org.mastodon.pk)}
    services.post_create(by=org.officer, accounts=[org.mastodon], text="Travaux rue Haute.")
    client.get(url, query)
    one = _count(client, url, query)
    for n in range(19):
        services.post_create(by=org.officer, accounts=[org.mastodon], text=f"Travaux n° {n}.")
    twenty = _count(client, url, query)
    assert client.get(url, query).context["page"].paginator.count == 20
    assert twenty == one
    assert one <= SEARCH_MAX_QUERIES


@pytest.mark.django_db
def test_pages_queries_calendar_json_is_bounded(frozen_now: datetime, org: Org) -> None:
    client = Client()
    client.force_login(org.manager)
    start = frozen_now + timedelta(days=1)
    url = reverse("editorial:calendar_events")
    query = {
        "start": start.date().isoformat(),
        "end": (start + timedelta(days=42)).date().isoformat(),
        "account": str(org.mastodon.pk),
    }
    scheduled(org, at=start + timedelta(hours=10))
    client.get(url, query)
    one = _count(client, url, query)
    for n in range(1, 20):
        scheduled(org, at=start + timedelta(days=n, hours=10))
    twenty = _count(client, url, query)
    assert len(client.get(url, query).json()) == 20
    assert twenty == one
    assert one <= CALENDAR_MAX_QUERIES


def _published(org: Org, capture: Callable[..., Any]) -> Post:
    post = scheduled(org, accounts=[org.mastodon])
    with capture(execute=False):
        result = publishing.tick()
    for pk in result.queued:
        publishing.publication_send(publication_id=pk)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    return post


@pytest.mark.django_db
def test_pages_queries_public_account_is_bounded(
    frozen_now: datetime, org: Org, fake: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    url = reverse("publishing:public_account", kwargs={"pk": org.mastodon.pk})
    _published(org, django_capture_on_commit_callbacks)
    client.get(url)
    one = _count(client, url)
    for _n in range(19):
        _published(org, django_capture_on_commit_callbacks)
    twenty = _count(client, url)
    assert Post.objects.filter(state=PostState.PUBLISHED).count() == 20
    assert twenty == one
    assert one <= PUBLIC_ACCOUNT_MAX_QUERIES

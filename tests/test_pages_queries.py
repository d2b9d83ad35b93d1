"""The main pages cost a bounded number of queries however many posts the organisation holds
(issue #15; the times are measured by bench/pages_bench.py, never asserted here).

The review queue resolves the approval chain of each post it shows (a dozen queries each), so
its count follows the reviewer's own queue; what it must not follow is the rest of the
organisation: posts in review in other units, published posts, drafts.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, OrgUnit
from accounts.services import membership_create
from editorial import services
from tests.conftest import Org
from tests.factories import make_account, make_unit, make_user

# The queue page with one post to review (and its other two lists empty), measured on
# PostgreSQL and SQLite: the chain of one post, the page's own reads, the session and nav.
QUEUE_MAX_QUERIES = 60


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

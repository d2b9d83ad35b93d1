"""The history tab: revisions with their diffs, every event with who, when and details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from accounts.services import membership_create
from editorial import history, services
from editorial.diffs import Change, Op
from editorial.models import Post, PostTier
from editorial.services import comments
from tests.conftest import Org
from tests.factories import make_delegation, make_user


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _edited(org: Org) -> Post:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Guichet ouvert lundi."
    )
    services.post_update(
        post=post,
        by=org.officer,
        base_revision=1,
        text="Guichet ouvert mardi.",
        language="en",
        accounts=[org.mastodon, org.bluesky],
        tier=PostTier.SENSITIVE,
    )
    return post


def test_event_details_show_unknown_data_generically() -> None:
    data = {
        "consultation": {"id": 4, "name": "Service juridique"},
        "due_on": "2026-12-01",
        "urgent": True,
        "experts": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}],
        "comment_id": 9,
        "empty": "",
    }
    assert history.event_details(data) == [
        ("Consultation", "Service juridique"),
        ("Due on", "2026-12-01"),
        ("Urgent", "yes"),
        ("Experts", "A, B"),
    ]


def test_post_history_diffs_each_revision_with_the_previous(org: Org) -> None:
    post = _edited(org)
    entries = history.post_history(post).revisions
    assert [(e.revision.number, e.diff.before) for e in entries] == [(2, 1), (1, None)]
    latest = entries[0].diff
    assert [s.text for s in latest.text if s.op == Op.INSERT] == ["mardi"]
    assert {c.kind for c in latest.changes} == {
        Change.LANGUAGE,
        Change.TIER,
        Change.ACCOUNT_ADDED,
    }


def test_post_history_lists_every_event_in_chain_order(org: Org) -> None:
    post = _edited(org)
    comments.comment_add(post=post, by=org.manager, body="Vu")
    verbs = [e.event.verb for e in history.post_history(post).events]
    assert verbs == ["created", "edited", "commented"]


def test_history_page_shows_the_word_diff(org: Org) -> None:
    post = _edited(org)
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert "<del>lundi</del><ins>mardi</ins>" in page
    assert 'class="change tier"' in page


def test_history_page_shows_the_comment_and_its_mentions(org: Org) -> None:
    post = _edited(org)
    comments.comment_add(post=post, by=org.officer, body="@manager ?")
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk])).content.decode()
    event = page.split('data-verb="commented"', 1)[1].split("</li>", 1)[0]
    assert "commented" in event and "mentioned" in event and str(org.manager) in event


def test_history_page_shows_approved_as_deputy_of(frozen_now: dt.datetime, org: Org) -> None:
    deputy = make_user(username="deputy", first_name="Ana", last_name="Suppléante")
    membership_create(user=deputy, unit=org.service, role=Membership.Role.AUTHOR)
    today = frozen_now.date()  # the clock is frozen: no midnight between here and the approval
    make_delegation(org.manager, deputy, today, today + dt.timedelta(days=2))
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=deputy)
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk])).content.decode()
    event = page.split('data-verb="approved"', 1)[1].split("</li>", 1)[0]
    assert str(deputy) in event
    assert f"as deputy of {org.manager}" in event


def test_history_page_shows_an_event_kind_it_does_not_know(org: Org) -> None:
    post = _edited(org)
    services.audit(post, "consulted", actor=org.manager, expert={"id": 1, "name": "Juriste"})
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk])).content.decode()
    event = page.split('data-verb="consulted"', 1)[1].split("</li>", 1)[0]
    assert "<dt>Expert</dt><dd>Juriste</dd>" in event


def _page_queries(client: Client, post: Post) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("editorial:post", args=[post.pk])).status_code == 200
    return len(queries)


def test_history_page_queries_do_not_grow_with_revisions(org: Org) -> None:
    post = _edited(org)
    client = _client(org.officer)
    _page_queries(client, post)  # the first request loads the session
    before = _page_queries(client, post)
    for n in range(3, 8):
        services.post_update(
            post=post, by=org.officer, base_revision=n - 1, text=f"v{n}", language="fr"
        )
    assert _page_queries(client, post) == before

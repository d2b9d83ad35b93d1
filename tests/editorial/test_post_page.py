"""The post page (editorial.views.post_page): which link is which part, the charter version,
who approved which step and when, the consultation form folded until asked for."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.test import Client
from django.urls import reverse

from editorial import services
from editorial.models import ApprovalStep, Post, PostState
from tests.conftest import Org
from tests.factories import add_step, make_policy


def _page(client: Client, post: Post, language: str = "fr") -> str:
    response = client.get(reverse("editorial:post", args=[post.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_post_page_says_which_link_is_which_part_of_the_thread(
    frozen_now: datetime, org: Org, client: Client
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Un fil.")
    account = str(org.mastodon)
    links = [
        {"account": account, "part": 1, "url": "https://social.example/@a/2", "state": "published"},
        {"account": account, "part": 0, "url": "https://social.example/@a/1", "state": "published"},
        {
            "account": "Bluesky x.test",
            "part": 0,
            "url": "https://bsky.example/1",
            "state": "published",
        },
    ]
    Post.objects.filter(pk=post.pk).update(state=PostState.PUBLISHED, remote_links=links)
    client.force_login(org.officer)
    html = _page(client, post)
    first = html.index("Partie 1/2")
    assert first < html.index("https://social.example/@a/1") < html.index("Partie 2/2")
    assert html.index("Partie 2/2") < html.index("https://social.example/@a/2")
    # A post in one part on an account is the post, not "part 1/1".
    assert "Partie 1/1" not in html and "La publication</span> — " in html
    assert "Part 1/2" in _page(client, post, "en")


def test_post_page_byline_says_who_approved_which_step_and_when(
    frozen_now: datetime, org: Org, client: Client
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Réunion.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=frozen_now + timedelta(days=1))
    client.force_login(org.officer)
    html = _page(client, post, "en")
    approvals = html.split('id="byline-approvals"')[1].split("</ul>")[0]
    assert str(org.manager) in approvals
    # 09:00 UTC is 10:00 in Paris, the reader's zone.
    assert 'datetime="2026-03-02T10:00:00+01:00"' in approvals
    assert "10 a.m." in approvals
    post.refresh_from_db()
    assert post.byline_record["charter"] in html.split('id="byline-charter"')[1]


def test_post_page_names_the_charter_version_checked(org: Org, client: Client) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Réunion.")
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    client.force_login(org.officer)
    html = _page(client, post, "en")
    assert post.current_revision is not None
    charter = post.current_revision.check_report["charter"]
    assert charter and charter in html.split('id="post-charter-version"')[1].split("</p>")[0]


def test_post_page_folds_the_consultation_form_until_refused(org: Org, client: Client) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Réunion.")
    services.post_submit(post=post, by=org.officer)
    client.force_login(org.officer)
    html = _page(client, post)
    fold = html.split('id="ask-consultation-fold"')[1].split(">")[0]
    assert "open" not in fold
    # Sent without a unit: the page comes back with the form open and what to fix.
    response = client.post(
        reverse("editorial:consultation_ask", args=[post.pk]),
        {"question": "Exact ?", "deadline": "2030-01-01T10:00"},
    )
    assert response.status_code == 400
    refused = response.content.decode().split('id="ask-consultation-fold"')[1].split(">")[0]
    assert "open" in refused


def test_post_page_byline_names_the_step_each_approver_approved(
    frozen_now: datetime, org: Org, client: Client
) -> None:
    policy = make_policy(unit=org.ministry)
    add_step(policy, "Chef de service", ApprovalStep.Kind.HIERARCHY, levels_up=0)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Réunion.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=frozen_now + timedelta(days=1))
    client.force_login(org.officer)
    approvals = _page(client, post).split('id="byline-approvals"')[1].split("</ul>")[0]
    assert "étape «\u00a0Chef de service\u00a0»" in approvals

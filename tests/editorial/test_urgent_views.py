"""The urgent procedure in the pages: post page, its own form, the post-hoc review, the queue
and the staff health page."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import membership_create
from charter.models import Charter, CharterVersion
from editorial import services
from editorial.models import ApprovalStep, Post, PostHocReview, PostState
from editorial.services import urgent
from tests.conftest import Org
from tests.factories import add_step, make_policy, make_user

S = PostState
WHY = "Alerte météo rouge: la préfecture demande la diffusion immédiate du message."
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(60))


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def chief(org: Org) -> User:
    chief = make_user(username="chief", first_name="Paul", last_name="Chef")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    return chief


def _in_review(org: Org) -> Post:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Fermeture des routes ce soir."
    )
    services.post_submit(post=post, by=org.officer)
    return post


def _page(user: User, post: Post) -> str:
    return _client(user).get(reverse("editorial:post", args=[post.pk])).content.decode()


def _urgent_url(post: Post) -> str:
    return reverse("editorial:publish_urgently", args=[post.pk])


def test_views_post_page_offers_the_urgent_form_only_to_holders_of_the_right(
    org: Org, chief: User
) -> None:
    post = _in_review(org)
    assert 'id="urgent-form"' in _page(chief, post)
    assert 'id="urgent-form"' not in _page(org.manager, post)
    assert 'id="urgent-form"' not in _page(org.officer, post)


def test_views_urgent_page_refuses_a_member_without_the_right(org: Org) -> None:
    post = _in_review(org)
    response = _client(org.manager).post(_urgent_url(post), {"justification": WHY})
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW


def test_views_urgent_page_hides_the_post_from_outsiders(org: Org) -> None:
    post = _in_review(org)
    assert _client(org.outsider).get(_urgent_url(post)).status_code == 404


def test_views_urgent_short_justification_is_shown_again_with_the_error(
    org: Org, chief: User
) -> None:
    post = _in_review(org)
    typed = "Urgence préfecture."
    response = _client(chief).post(_urgent_url(post), {"justification": typed})
    page = response.content.decode()
    assert response.status_code == 400
    assert "at least 40 characters" in page
    assert escape(typed) in page.split('id="id_justification"')[1]
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW


def test_views_urgent_charter_refusal_is_shown_with_the_form(org: Org, chief: User) -> None:
    post = _in_review(org)
    charter = Charter.objects.create(name="Charte DGX")
    CharterVersion.objects.create(
        charter=charter, number=1, params={"terms.forbidden": {"terms": ["routes"]}}
    )
    response = _client(chief).post(_urgent_url(post), {"justification": WHY})
    assert response.status_code == 400
    assert 'id="urgent-errors"' in response.content.decode()
    assert escape(WHY) in response.content.decode()


def test_views_urgent_publish_schedules_and_shows_the_procedure(org: Org, chief: User) -> None:
    post = _in_review(org)
    response = _client(chief).post(_urgent_url(post), {"justification": WHY})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == S.SCHEDULED
    page = _page(org.officer, post)
    assert 'id="urgent-procedure"' in page
    assert escape(WHY) in page
    assert "(urgent procedure)" in page.split("Approved by")[1]


def test_views_post_page_offers_the_posthoc_form_to_skipped_approvers_only(
    org: Org, chief: User
) -> None:
    post = _in_review(org)
    urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    assert "posthoc-form" in _page(org.manager, post)
    assert "posthoc-form" not in _page(chief, post)
    assert "posthoc-form" not in _page(org.officer, post)


def test_views_skipped_group_member_without_grants_sees_the_post(org: Org, chief: User) -> None:
    cabinet = Group.objects.create(name="Cabinet")
    member = make_user(username="cabinet")
    member.groups.add(cabinet)
    policy = make_policy(account=org.mastodon)
    add_step(policy, "Cabinet", ApprovalStep.Kind.GROUP, group=cabinet)
    post = _in_review(org)
    urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    assert "posthoc-form" in _page(member, post)


def _review_url(review: PostHocReview) -> str:
    return reverse("editorial:posthoc_review", args=[review.post_id, review.pk])


def test_views_posthoc_objection_without_comment_is_shown_again(org: Org, chief: User) -> None:
    review = urgent.post_publish_urgently(post=_in_review(org), by=chief, justification=WHY)
    response = _client(org.manager).post(_review_url(review), {"outcome": "objected"})
    assert response.status_code == 400
    assert "comment is required" in response.content.decode()
    review.refresh_from_db()
    assert review.is_open


def test_views_posthoc_confirmation_completes_the_review(org: Org, chief: User) -> None:
    review = urgent.post_publish_urgently(post=_in_review(org), by=chief, justification=WHY)
    response = _client(org.manager).post(_review_url(review), {"outcome": "confirmed"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.outcome, review.completed_by) == ("confirmed", org.manager)


def test_views_posthoc_refuses_who_was_not_skipped(org: Org, chief: User) -> None:
    review = urgent.post_publish_urgently(post=_in_review(org), by=chief, justification=WHY)
    assert (
        _client(org.officer).post(_review_url(review), {"outcome": "confirmed"}).status_code == 403
    )
    assert (
        _client(org.outsider).post(_review_url(review), {"outcome": "confirmed"}).status_code == 404
    )
    review.refresh_from_db()
    assert review.is_open


def test_views_queue_lists_posthoc_reviews_with_overdue_flag(
    org: Org, chief: User, settings: Any
) -> None:
    settings.POSTHOC_REVIEW_HOURS = 48
    with time_machine.travel(NOW, tick=False):
        post = _in_review(org)
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
        queue = _client(org.manager).get(reverse("editorial:queue")).content.decode()
    section = queue.split('id="posthoc-queue"')[1]
    assert f'data-post="{post.pk}"' in section and "Overdue" not in section
    with time_machine.travel(NOW + timedelta(hours=49), tick=False):
        queue = _client(org.manager).get(reverse("editorial:queue")).content.decode()
    assert 'class="overdue"' in queue.split('id="posthoc-queue"')[1]


def test_views_health_page_lists_overdue_posthoc_reviews_to_staff(
    org: Org, chief: User, settings: Any
) -> None:
    settings.POSTHOC_REVIEW_HOURS = 48
    with time_machine.travel(NOW, tick=False):
        post = _in_review(org)
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    staff = make_user(username="ops", is_staff=True)
    client = _client(staff)
    with time_machine.travel(NOW + timedelta(hours=47), tick=False):
        page = client.get("/admin/health/").content.decode()
    assert f'data-post="{post.pk}"' not in page
    with time_machine.travel(NOW + timedelta(hours=49), tick=False):
        page = client.get("/admin/health/").content.decode()
    section = page.split('id="overdue-posthoc"')[1]
    assert f'data-post="{post.pk}"' in section

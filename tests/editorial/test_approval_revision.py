"""An approval (and a consultation's answer) names the revision the approver read (#13)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from editorial import services
from editorial.models import Approval, Post, PostState
from tests.conftest import Org


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _submitted(org: Org) -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    return post


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"revision": ""},
        {"revision": "abc"},
        {"revision": "²"},  # a Unicode digit: isdigit() says yes, int() says no
        {"revision": "99999999999999999999999"},
        {"and_schedule": "1", "now": "1"},
    ],
)
def test_approve_view_without_a_revision_is_refused_in_words(org: Org, data: Any) -> None:
    post = _submitted(org)
    response = _client(org.manager).post(reverse("editorial:approve", args=[post.pk]), data)
    assert response.status_code == 400
    assert "does not say which revision you read" in response.content.decode()
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW
    assert not Approval.objects.filter(post=post).exists()


def test_approve_view_with_a_stale_revision_is_refused(org: Org) -> None:
    post = _submitted(org)
    services.post_update(
        post=post, by=org.officer, base_revision=1, text="Texte revu.", language="fr"
    )
    response = _client(org.manager).post(
        reverse("editorial:approve", args=[post.pk]), {"revision": "1"}, follow=True
    )
    assert "after you opened revision 1" in response.content.decode()
    assert not Approval.objects.filter(post=post).exists()


def test_approve_view_with_the_current_revision_approves(org: Org) -> None:
    post = _submitted(org)
    _client(org.manager).post(reverse("editorial:approve", args=[post.pk]), {"revision": "1"})
    post.refresh_from_db()
    assert post.state == PostState.APPROVED


@pytest.mark.parametrize("revision", [None, "", "x", "99999999999999999999999"])
def test_consultation_answer_without_a_revision_is_refused_in_words(
    org: Org, revision: str | None
) -> None:
    from editorial.models import Consultation
    from tests.editorial.consultation_setup import ask, make_legal

    legal = make_legal(org)
    consultation = ask(legal, _submitted(org))
    data = {"answer": "agree"} if revision is None else {"answer": "agree", "revision": revision}
    response = _client(legal.jurist).post(
        reverse("editorial:consultation_answer", args=[consultation.pk]), data, follow=True
    )
    html = response.content.decode()
    assert (
        "does not say which revision you read" in html
        or "revision number" in html
        or ("less than or equal" in html)
    )
    consultation.refresh_from_db()
    assert consultation.answer == ""
    assert Consultation.objects.filter(pk=consultation.pk, answered_by__isnull=True).exists()

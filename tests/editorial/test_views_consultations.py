"""Consultations in the pages: who sees the section, who may ask and answer, the queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services
from editorial.models import Consultation, PostState
from editorial.services import consultations
from tests.conftest import Org
from tests.editorial.consultation_setup import (
    Legal,
    ask,
    draft,
    in_days,
    make_legal,
    state,
    submitted,
)
from tests.factories import make_unit, make_user


@pytest.fixture
def legal(org: Org) -> Legal:
    return make_legal(org)


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _post_url(pk: int) -> str:
    return reverse("editorial:post", args=[pk])


def test_view_consultation_outsider_gets_404_on_the_post(legal: Legal) -> None:
    post = submitted(legal.org)
    ask(legal, post)
    assert _client(legal.org.outsider).get(_post_url(post.pk)).status_code == 404


def test_view_consultation_consulted_member_reads_the_post(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    response = _client(legal.jurist).get(_post_url(post.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("editorial:consultation_answer", args=[consultation.pk]) in html
    assert 'id="approve"' not in html
    assert 'id="ask-consultation"' not in html


def test_view_consultation_author_is_offered_the_ask_form(legal: Legal) -> None:
    post = draft(legal.org)
    html = _client(legal.org.officer).get(_post_url(post.pk)).content.decode()
    assert 'id="ask-consultation"' in html
    assert f'value="{legal.unit.pk}"' in html
    assert f'value="{legal.org.service.pk}"' not in html  # the speaking unit is not offered


def test_view_consultation_ask_creates_the_request(legal: Legal) -> None:
    post = draft(legal.org)
    response = _client(legal.org.officer).post(
        reverse("editorial:consultation_ask", args=[post.pk]),
        {
            "units": [legal.unit.pk],
            "blocking": "on",
            "deadline": "2099-01-05T10:00",
            "question": "Le délai est-il exact ?",
        },
    )
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert (consultation.unit, consultation.blocking) == (legal.unit, True)


def test_view_consultation_ask_with_a_past_deadline_says_why(legal: Legal) -> None:
    post = draft(legal.org)
    response = _client(legal.org.officer).post(
        reverse("editorial:consultation_ask", args=[post.pk]),
        {"units": [legal.unit.pk], "deadline": "2001-01-05T10:00", "question": "?"},
        follow=True,
    )
    assert "deadline has passed" in response.content.decode()
    assert not Consultation.objects.exists()


def test_view_consultation_ask_by_outsider_is_404(legal: Legal) -> None:
    post = submitted(legal.org)
    response = _client(legal.org.outsider).post(
        reverse("editorial:consultation_ask", args=[post.pk]),
        {"units": [legal.unit.pk], "deadline": "2099-01-05T10:00", "question": "?"},
    )
    assert response.status_code == 404


def test_view_consultation_ask_by_consulted_member_is_403(legal: Legal) -> None:
    post = submitted(legal.org)
    ask(legal, post)
    other = legal.org.ministry
    response = _client(legal.jurist).post(
        reverse("editorial:consultation_ask", args=[post.pk]),
        {"units": [other.pk], "deadline": "2099-01-05T10:00", "question": "?"},
    )
    assert response.status_code == 403
    assert Consultation.objects.count() == 1


def test_view_consultation_answer_by_outsider_is_404(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org))
    response = _client(legal.org.outsider).post(
        reverse("editorial:consultation_answer", args=[consultation.pk]),
        {"answer": "agree", "revision": "1"},
    )
    assert response.status_code == 404
    consultation.refresh_from_db()
    assert consultation.answer == ""


def test_view_consultation_answer_by_the_reviewer_is_403(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org))
    response = _client(legal.org.manager).post(
        reverse("editorial:consultation_answer", args=[consultation.pk]),
        {"answer": "agree", "revision": "1"},
    )
    assert response.status_code == 403


def test_view_consultation_answer_requires_post(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org))
    url = reverse("editorial:consultation_answer", args=[consultation.pk])
    assert _client(legal.jurist).get(url).status_code == 405


def test_view_consultation_agreement_approves_a_complete_chain(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    response = _client(legal.org.manager).post(
        reverse("editorial:approve", args=[post.pk]), {"revision": "1"}, follow=True
    )
    assert "waits for the consultation of" in response.content.decode()
    assert state(post) == PostState.IN_REVIEW
    _client(legal.jurist).post(
        reverse("editorial:consultation_answer", args=[consultation.pk]),
        {"answer": "agree", "revision": "1"},
    )
    assert state(post) == PostState.APPROVED


def test_view_consultation_objection_shows_on_the_post_page(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    _client(legal.jurist).post(
        reverse("editorial:consultation_answer", args=[consultation.pk]),
        {"answer": "object", "comment": "Le délai de recours est de deux mois.", "revision": "1"},
    )
    html = _client(legal.org.officer).get(_post_url(post.pk)).content.decode()
    assert 'data-status="objected"' in html
    assert "Le délai de recours est de deux mois." in html


def test_view_consultation_cancel_by_requester(legal: Legal) -> None:
    consultation = ask(legal, submitted(legal.org))
    _client(legal.org.officer).post(
        reverse("editorial:consultation_cancel", args=[consultation.pk])
    )
    consultation.refresh_from_db()
    assert consultation.cancelled_at is not None


def test_view_consultation_queue_flags_overdue(legal: Legal) -> None:
    post = submitted(legal.org)
    consultation = ask(legal, post)
    with time_machine.travel(consultation.deadline + timedelta(hours=1)):
        html = _client(legal.jurist).get(reverse("editorial:queue")).content.decode()
    assert "Consultations for your units" in html
    assert f'data-consultation="{consultation.pk}" class="overdue"' in html


def test_view_consultation_queue_is_empty_for_outsiders(legal: Legal) -> None:
    ask(legal, submitted(legal.org))
    html = _client(legal.org.outsider).get(reverse("editorial:queue")).content.decode()
    assert "No consultation waits for your units." in html


def test_view_consultation_member_may_open_the_media(legal: Legal) -> None:
    post = services.post_create(
        by=legal.org.officer,
        accounts=[legal.org.mastodon],
        text="Affiche.",
        media=[services.MediaInput(filename="a.png", data=_PNG, alt_text="Affiche")],
    )
    ask(legal, post)
    assert post.current_revision is not None
    media = post.current_revision.media.get()
    url = reverse("editorial:media", args=[post.pk, media.pk])
    assert _client(legal.jurist).get(url).status_code == 200
    assert _client(legal.org.outsider).get(url).status_code == 404


# A transparent 1x1 PNG (uploads are decoded and re-encoded: the bytes must be a whole image).
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


def _page_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_view_consultation_post_page_queries_do_not_grow_per_consultation(
    legal: Legal,
) -> None:
    post = draft(legal.org)
    units = [make_unit(name=f"Direction {n}", code=f"dir{n}") for n in range(3)]
    for unit in units:
        membership_create(user=make_user(), unit=unit, role=Membership.Role.AUTHOR)
    ask(legal, post)
    client = _client(legal.jurist)
    client.get(_post_url(post.pk))  # warm the session
    one = _page_queries(client, _post_url(post.pk))
    consultations.consultation_request(
        post=post, units=units, question="?", blocking=True, deadline=in_days(1), by=post.author
    )
    assert _page_queries(client, _post_url(post.pk)) == one

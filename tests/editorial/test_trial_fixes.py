"""Defects found by trying the demo as a new user, in French: an instant shown as stored ISO
text in the history, the hold's event shown by its code name, and the live check swapping a
submit button into an edit page that has none."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from editorial import history, services
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def test_event_details_show_an_instant_in_local_time_not_iso() -> None:
    with time_machine.travel(dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC), tick=False):
        details = dict(history.event_details({"at": "2026-12-12T09:00:00+00:00"}))
    # Europe/Paris, in the active language's short format (English in tests): 10:00, not 09:00.
    assert details["Time"] == "12/12/2026 10 a.m."
    assert "T09:00" not in details["Time"]


def test_event_details_keep_text_that_only_looks_like_a_date() -> None:
    assert history.event_details({"note": "2026-12-12Tx"}) == [("Note", "2026-12-12Tx")]


def test_history_page_names_the_charter_hold_in_french(org: Org) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet ouvert.")
    services.audit(post, "held_by_charter", actor=None, at="2026-12-12T09:00:00+00:00")
    client = Client(headers={"accept-language": "fr"})
    client.force_login(org.officer)
    page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
    event = page.split('data-verb="held_by_charter"', 1)[1].split("</li>", 1)[0]
    assert "retenu par la charte\u00a0: non publié" in event
    assert "held_by_charter" not in event
    assert "2026-12-12T09:00" not in event and "12/12/2026 10:00" in event


def _live(org: Org, **fields: str) -> str:
    client = Client()
    client.force_login(org.officer)
    data = {"accounts": [str(org.mastodon.pk)], "text": "Guichet ouvert.", **fields}
    response = client.post(reverse("editorial:live_check"), data)
    assert response.status_code == 200
    return response.content.decode()


def test_live_check_swaps_the_submit_button_only_where_there_is_one(org: Org) -> None:
    assert 'id="submit-state"' in _live(org)
    # The edit page of a post under review saves and resubmits with one button: an
    # out-of-band swap there had no target (htmx:oobErrorNoTarget at every keystroke).
    assert 'id="submit-state"' not in _live(org, live_without_submit="1")


def test_edit_page_of_a_post_under_review_asks_for_no_submit_swap(org: Org) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet ouvert.")
    services.post_submit(post=post, by=org.officer)
    client = Client()
    client.force_login(org.officer)
    page = client.get(reverse("editorial:edit", args=[post.pk])).content.decode()
    assert 'name="live_without_submit"' in page and 'id="submit-state"' not in page

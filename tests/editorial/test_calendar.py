"""The publication calendar: what it shows to whom, its JSON feed (shape, bounds, queries), the
list without JavaScript, and moving a scheduled post through the scheduling service."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, SocialAccount, User
from accounts.services import membership_create
from charter import services as charter_services
from charter.models import ElectionWindow
from editorial import services
from editorial.models import AuditEvent, Post, PostState
from editorial.selectors import calendar as cal
from tests.conftest import Org
from tests.factories import make_user

S = PostState
PARIS = ZoneInfo("Europe/Paris")
# FROZEN_NOW is Monday 2 March 2026, 10:00 in Paris.
THURSDAY = datetime(2026, 3, 5, 10, 0, tzinfo=PARIS)
FRIDAY = datetime(2026, 3, 6, 15, 30, tzinfo=PARIS)
MARCH = {"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}


def _client(user: User, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _approved(org: Org, text: str, accounts: list[SocialAccount] | None = None) -> Post:
    post = services.post_create(by=org.officer, accounts=accounts or [org.mastodon], text=text)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    return post


def _scheduled(
    org: Org, text: str = "La médiathèque ouvre jeudi.", at: datetime = THURSDAY
) -> Post:
    post = _approved(org, text)
    services.post_schedule(post=post, by=org.manager, at=at)
    post.refresh_from_db()
    return post


def _feed(client: Client, **query: Any) -> Any:
    return client.get(reverse("editorial:calendar_events"), {**MARCH, **query})


def _posts(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in body if e.get("display") != "background"]


def _move(client: Client, post: Post, at: str) -> Any:
    return client.post(reverse("editorial:calendar_move", args=[post.pk]), {"at": at})


# --- what it shows ----------------------------------------------------------------------------


def test_calendar_entries_show_nothing_to_an_outsider(frozen_now: datetime, org: Org) -> None:
    _scheduled(org)
    start, end = datetime(2026, 3, 1, tzinfo=PARIS), datetime(2026, 4, 1, tzinfo=PARIS)
    assert cal.calendar_entries(org.outsider, start=start, end=end) == []
    assert len(cal.calendar_entries(org.manager, start=start, end=end)) == 1
    assert _posts(_feed(_client(org.outsider)).json()) == []


def test_calendar_entries_leave_out_drafts_and_posts_in_review(
    frozen_now: datetime, org: Org
) -> None:
    _scheduled(org)
    draft = services.post_create(by=org.officer, accounts=[org.mastodon], text="Brouillon.")
    in_review = services.post_create(by=org.officer, accounts=[org.mastodon], text="À relire.")
    services.post_submit(post=in_review, by=org.officer)
    body = _posts(_feed(_client(org.officer)).json())
    assert [e["id"] for e in body] == [str(Post.objects.get(state=S.SCHEDULED).pk)]
    assert str(draft.pk) not in {e["id"] for e in body}


def test_calendar_events_json_shape(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    (event,) = _posts(_feed(_client(org.manager)).json())
    assert event == {
        "id": str(post.pk),
        "title": "Scheduled · La médiathèque ouvre jeudi.",
        "start": "2026-03-05T10:00:00",  # the wall-clock time in Paris, without offset
        "allDay": False,
        "url": reverse("editorial:post", args=[post.pk]),
        "classNames": ["pv-state-scheduled"],
        "editable": True,
        "extendedProps": {
            "state": "scheduled",
            "stateLabel": "Scheduled",
            "accounts": str(org.mastodon),
            "moveUrl": reverse("editorial:calendar_move", args=[post.pk]),
        },
    }


def test_calendar_events_state_words_follow_the_language(frozen_now: datetime, org: Org) -> None:
    _scheduled(org)
    (event,) = _posts(_feed(_client(org.manager, "fr")).json())
    assert event["title"].startswith("Programmé")


def test_calendar_events_movable_only_with_the_publish_right(
    frozen_now: datetime, org: Org
) -> None:
    _scheduled(org)
    (event,) = _posts(_feed(_client(org.officer)).json())
    assert event["editable"] is False
    assert event["extendedProps"]["moveUrl"] == ""


def test_calendar_events_published_post_is_not_movable(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    _publish(post)
    (event,) = _posts(_feed(_client(org.manager)).json())
    assert (event["editable"], event["extendedProps"]["state"]) == (False, "published")


def _publish(post: Post) -> None:
    services.post_start_publishing(post=post)
    services.post_record_outcome(
        post_id=post.pk,
        published=True,
        details={"publications": [{"account": "x", "url": "https://m.test/1"}]},
    )
    post.refresh_from_db()


def test_calendar_events_account_filter(frozen_now: datetime, org: Org) -> None:
    on_mastodon = _scheduled(org)
    on_bluesky = _approved(org, "Le marché est déplacé.", accounts=[org.bluesky])
    services.post_schedule(post=on_bluesky, by=org.manager, at=FRIDAY)
    client = _client(org.manager)
    assert [e["id"] for e in _posts(_feed(client, account=org.bluesky.pk).json())] == [
        str(on_bluesky.pk)
    ]
    assert len(_posts(_feed(client).json())) == 2
    assert on_mastodon.pk != on_bluesky.pk


def test_calendar_events_refuse_an_account_out_of_reach(frozen_now: datetime, org: Org) -> None:
    response = _feed(_client(org.outsider), account=org.mastodon.pk)
    assert response.status_code == 400
    assert response.json() == {"error": "Choose an account from the list."}


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"end": "2026-07-01T00:00:00Z"}, "at most 100 days"),
        ({"end": "2026-02-01T00:00:00Z"}, "must come after its start"),
        ({"start": "mardi"}, "“mardi” is not a date"),
        ({"start": "2026-02-31"}, "is not a date"),
        ({"start": ""}, "Give the start and the end"),
        ({"start": "0001-01-01T00:00:00+14:00", "end": "0001-01-02"}, "too far in time"),
        ({"start": "9999-12-30", "end": "9999-12-31T23:59"}, "too far in time"),
    ],
)
def test_calendar_events_refuse_a_bad_range_in_words(
    frozen_now: datetime, org: Org, query: dict[str, str], words: str
) -> None:
    response = _feed(_client(org.manager), **query)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_calendar_events_accept_one_hundred_days(frozen_now: datetime, org: Org) -> None:
    response = _feed(_client(org.manager), start="2026-03-01", end="2026-06-09")
    assert response.status_code == 200


def _queries(client: Client, url: str, query: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("name", "query"),
    [("editorial:calendar_events", MARCH), ("editorial:calendar", {"date": "2026-03-01"})],
)
def test_calendar_queries_do_not_grow_with_the_posts(
    frozen_now: datetime, org: Org, name: str, query: dict[str, str]
) -> None:
    client = _client(org.manager)
    url = reverse(name)
    _scheduled(org, "Message 0")
    _queries(client, url, query)  # the session and the rights read once, as any first page
    one = _queries(client, url, query)
    for n in range(1, 20):
        _scheduled(org, f"Message {n}", at=THURSDAY + timedelta(hours=n))
    twenty = _queries(client, url, query)
    assert Post.objects.filter(state=S.SCHEDULED).count() == 20
    assert twenty == one


def test_calendar_bands_freeze_and_election(frozen_now: datetime, org: Org) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.ministry, role=Membership.Role.ADMIN)
    services.freeze_create(account=org.mastodon, reason="Compte piraté.", by=org.manager)
    window = ElectionWindow(
        name="Municipales", kind="municipal", unit=org.ministry, first_round=date(2026, 3, 22)
    )
    charter_services.election_window_save(window=window, by=chief)
    bands = [e for e in _feed(_client(org.manager)).json() if e.get("display") == "background"]
    by_kind = {e["extendedProps"]["band"]: e for e in bands}
    assert by_kind["freeze"]["start"] == "2026-03-02T10:00:00"
    assert by_kind["freeze"]["end"] == "2026-04-01T00:00:00"  # not lifted: to the range's end
    assert by_kind["freeze"]["title"] == f"Publishing frozen: {org.mastodon}"
    assert by_kind["election"]["start"] == "2025-09-01T00:00:00"
    assert by_kind["election"]["end"] == "2026-03-22T20:00:00"  # the polls close
    assert by_kind["silence"]["start"] == "2026-03-21T00:00:00"  # the eve at midnight


def test_calendar_bands_leave_out_another_ministry_election(frozen_now: datetime, org: Org) -> None:
    elsewhere = org.ministry.children.exclude(pk=org.service.pk).get()
    ElectionWindow.objects.create(
        name="Ailleurs", kind="municipal", unit=elsewhere, first_round=date(2026, 3, 22)
    )
    assert (
        cal.calendar_bands(
            org.manager,
            start=datetime(2026, 3, 1, tzinfo=PARIS),
            end=datetime(2026, 4, 1, tzinfo=PARIS),
        )
        == []
    )


# --- the page without JavaScript ----------------------------------------------------------------


def test_calendar_page_lists_the_month_with_links(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    response = _client(org.manager).get(reverse("editorial:calendar"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "La médiathèque ouvre jeudi." in body
    assert f'href="{reverse("editorial:post", args=[post.pk])}#schedule-form"' in body
    assert "Europe/Paris" in body
    assert "?period=month&amp;date=2026-02-01" in body
    assert "?period=month&amp;date=2026-04-01" in body


def test_calendar_page_week_and_account(frozen_now: datetime, org: Org) -> None:
    _scheduled(org)
    client = _client(org.manager)
    other_week = client.get(
        reverse("editorial:calendar"),
        {"period": "week", "date": "2026-03-10", "account": str(org.mastodon.pk)},
    )
    assert "La médiathèque ouvre jeudi." not in other_week.content.decode()
    this_week = client.get(
        reverse("editorial:calendar"),
        {"period": "week", "date": "2026-03-04", "account": str(org.mastodon.pk)},
    )
    assert "La médiathèque ouvre jeudi." in this_week.content.decode()


def test_calendar_page_refuses_a_foreign_account_in_words(frozen_now: datetime, org: Org) -> None:
    response = _client(org.outsider).get(
        reverse("editorial:calendar"), {"account": org.mastodon.pk}
    )
    assert response.status_code == 400
    assert "Choose an account from the list." in response.content.decode()


# --- moving a post ----------------------------------------------------------------------------


def test_calendar_move_reschedules_through_the_service(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    response = _move(_client(org.manager), post, "2026-03-06T15:30")
    assert response.status_code == 200
    assert response.json()["start"] == "2026-03-06T15:30:00"
    assert response.json()["frozen"] is False
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (S.SCHEDULED, FRIDAY)
    event = AuditEvent.objects.filter(post=post, verb="scheduled").order_by("-seq").first()
    assert event is not None
    assert event.actor == org.manager
    assert event.data["at"] == FRIDAY.isoformat()
    assert datetime.fromisoformat(event.data["moved_from"]) == THURSDAY


def test_calendar_move_says_a_freeze_holds_it(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    services.freeze_create(account=org.mastodon, reason="Compte piraté.", by=org.manager)
    response = _move(_client(org.manager), post, "2026-03-06T15:30")
    assert response.status_code == 200
    assert response.json()["frozen"] is True
    assert "frozen" in response.json()["message"]


def _refused(response: Any, post: Post, status: int, words: str) -> None:
    assert response.status_code == status
    assert words in response.json()["error"]
    before = post.scheduled_at
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_calendar_move_refused_in_the_past(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    _refused(_move(_client(org.manager), post, "2026-03-01T10:00"), post, 400, "in the past")


def test_calendar_move_refused_without_the_publish_right(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    _refused(_move(_client(org.officer), post, "2026-03-06T15:30"), post, 403, "not allowed")


def test_calendar_move_refused_to_an_outsider(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    assert _move(_client(org.outsider), post, "2026-03-06T15:30").status_code == 404


def test_calendar_move_refused_for_a_published_post(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    _publish(post)
    _refused(_move(_client(org.manager), post, "2026-03-06T15:30"), post, 400, "Published")


def test_calendar_move_refused_for_a_time_that_is_no_time(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    # 29 March 2026, 02:30 in Paris: the clocks go forward at 02:00.
    _refused(_move(_client(org.manager), post, "2026-03-29T02:30"), post, 400, "does not exist")


def _election(org: Org, first_round: date) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.ministry, role=Membership.Role.ADMIN)
    window = ElectionWindow(
        name="Municipales", kind="municipal", unit=org.ministry, first_round=first_round
    )
    charter_services.election_window_save(window=window, by=chief)


def test_calendar_move_refused_into_the_electoral_silence(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    # A vote on Sunday 10 May, declared inside its pre-electoral period (the post is held for
    # its standard approval); Saturday 9 May at noon is in the silence, which no approval lifts.
    _election(org, date(2026, 5, 10))
    post.refresh_from_db()
    response = _move(_client(org.manager), post, "2026-05-09T12:00")
    assert response.status_code == 400
    assert "electoral silence" in response.json()["error"]


def test_calendar_move_into_a_pre_electoral_period_asks_for_a_new_approval(
    frozen_now: datetime, org: Org
) -> None:
    """The approval policy: a standard post moved into a pre-electoral period needs the
    political tier's approvers, who never saw it. The scheduling service refuses the move in
    words that say the way out (another time, or the author edits it and it goes back to
    review): the calendar reuses that rule, it does not invent another."""
    post = _scheduled(org)  # Thursday 5 March
    _election(org, date(2026, 10, 4))  # its period opens on 1 April
    post.refresh_from_db()
    assert post.state == S.SCHEDULED
    response = _move(_client(org.manager), post, "2026-04-02T10:00")
    _refused(response, post, 400, "approved as “Standard”")
    assert "its author edits it and submits it again" in response.json()["error"]


def test_post_page_schedule_form_moves_a_scheduled_post(frozen_now: datetime, org: Org) -> None:
    """The keyboard's way: each post of the calendar links to its page, whose schedule form
    moves a scheduled post as a drop does."""
    post = _scheduled(org)
    client = _client(org.manager)
    page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert 'id="schedule-form"' in page
    client.post(reverse("editorial:schedule", args=[post.pk]), {"at": "2026-03-06T15:30"})
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (S.SCHEDULED, FRIDAY)


def test_post_page_schedule_form_hidden_from_the_author(frozen_now: datetime, org: Org) -> None:
    post = _scheduled(org)
    page = _client(org.officer).get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert 'id="schedule-form"' not in page


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-31", "x" * 500])
def test_calendar_page_shows_this_month_for_a_date_out_of_reach(
    frozen_now: datetime, org: Org, day: str
) -> None:
    response = _client(org.manager).get(reverse("editorial:calendar"), {"date": day})
    assert response.status_code == 200
    assert "?period=month&amp;date=2026-04-01" in response.content.decode()


@pytest.mark.parametrize("at", ["0001-01-01T00:00", "9999-12-31T23:59", "demain", ""])
def test_calendar_move_refuses_a_time_out_of_reach_in_words(
    frozen_now: datetime, org: Org, at: str
) -> None:
    post = _scheduled(org)
    response = _move(_client(org.manager), post, at)
    assert response.status_code == 400
    assert response.json()["error"]

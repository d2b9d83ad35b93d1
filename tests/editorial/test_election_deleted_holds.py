"""An election removed (declared by mistake, or cancelled) leaves no post held for good.

The posts it held stay held, unscheduled: nothing goes out unless a person schedules it
again (the worker never schedules in anyone's name). What held them was the charter's
re-check at scheduling time, and scheduling re-checks: once the election is gone, the
post's publisher schedules it again for the very time that was refused, and it publishes.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Membership, User
from accounts.services import membership_create
from charter import services as charter_services
from charter.models import ElectionWindow
from editorial import services
from editorial.models import AuditEvent, Post, PostState
from tests.conftest import Org
from tests.factories import make_user

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
# Inside the electoral silence of a vote on Sunday 15 March 2026, however it is counted.
SATURDAY_NOON = datetime(2026, 3, 14, 12, 0, tzinfo=PARIS)


@pytest.fixture
def chief(org: Org) -> User:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.ministry, role=Membership.Role.ADMIN)
    return chief


def _held_by_an_election(org: Org, chief: User) -> tuple[Post, ElectionWindow]:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Le guichet unique ouvre lundi."
    )
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
    window = ElectionWindow(
        name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=date(2026, 3, 15)
    )
    charter_services.election_window_save(window=window, by=chief)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    return post, window


def test_election_deleted_leaves_its_held_posts_held_until_a_person_schedules(
    org: Org, chief: User
) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post, window = _held_by_an_election(org, chief)
        charter_services.election_window_delete(window=window, by=chief)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert post.scheduled_at is None  # off the schedule: the tick never picks it up
    assert AuditEvent.objects.filter(verb="election_window_deleted", actor=chief).exists()


def test_election_deleted_lets_the_held_post_be_scheduled_again_for_the_refused_time(
    org: Org, chief: User
) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post, window = _held_by_an_election(org, chief)
        with pytest.raises(services.ScheduleRefused):
            services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
        charter_services.election_window_delete(window=window, by=chief)
        services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
    post.refresh_from_db()
    assert (post.state, post.scheduled_at, post.hold_reason) == (
        PostState.SCHEDULED,
        SATURDAY_NOON,
        "",
    )
    with time_machine.travel(SATURDAY_NOON, tick=False):
        claimed = services.posts_start_publishing(posts=[post])
    assert [p.pk for p in claimed] == [post.pk]

"""A publisher moves an approved or scheduled post: the approval policy's reschedule rule
says whether its approvals still cover the new time, or whether it goes back to review."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, SocialAccount, User
from accounts.services import membership_create
from charter import services as charter_services
from charter.models import ElectionWindow
from editorial import policies, services
from editorial.models import (
    ApprovalPolicy,
    AuditEvent,
    Notification,
    Post,
    PostState,
    PostTier,
    RescheduleRule,
)
from editorial.services import approval_chains
from tests.admin_forms import admin_form_data
from tests.conftest import FROZEN_NOW, Org
from tests.factories import make_policy, make_user

S = PostState
R = RescheduleRule
PARIS = ZoneInfo("Europe/Paris")
# FROZEN_NOW is Monday 2 March 2026, 10:00 in Paris.
THURSDAY = datetime(2026, 3, 5, 10, 0, tzinfo=PARIS)


def _rule(org: Org, rule: str, minutes: int | None = None, **target: object) -> ApprovalPolicy:
    policy: ApprovalPolicy = make_policy(**(target or {"unit": org.service}))  # type: ignore[arg-type]
    policy.reschedule_rule = rule
    policy.reschedule_tolerance_minutes = minutes
    policy.full_clean()
    policy.save()
    return policy


def _scheduled(org: Org, accounts: list[SocialAccount] | None = None) -> Post:
    post = services.post_create(
        by=org.officer, accounts=accounts or [org.mastodon], text="La médiathèque ouvre jeudi."
    )
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=THURSDAY)
    post.refresh_from_db()
    return post


def _move(org: Org, post: Post, at: datetime) -> Post:
    services.post_schedule(post=post, by=org.manager, at=at)
    post.refresh_from_db()
    return post


def test_reschedule_keep_moves_the_post(frozen_now: datetime, org: Org) -> None:
    _rule(org, R.KEEP)
    post = _move(org, _scheduled(org), THURSDAY + timedelta(days=2))
    assert (post.state, post.scheduled_at) == (S.SCHEDULED, THURSDAY + timedelta(days=2))
    assert post.current_revision is not None and post.current_revision.number == 1


def test_reschedule_without_a_policy_keeps_the_approvals(frozen_now: datetime, org: Org) -> None:
    post = _move(org, _scheduled(org), THURSDAY + timedelta(days=2))
    assert post.state == S.SCHEDULED


def test_reschedule_within_the_tolerance_moves_the_post(frozen_now: datetime, org: Org) -> None:
    _rule(org, R.TOLERANCE, minutes=120)
    post = _move(org, _scheduled(org), THURSDAY + timedelta(minutes=120))
    assert (post.state, post.scheduled_at) == (S.SCHEDULED, THURSDAY + timedelta(minutes=120))


def test_reschedule_beyond_the_tolerance_goes_back_to_review(
    frozen_now: datetime, org: Org
) -> None:
    _rule(org, R.TOLERANCE, minutes=120)
    post = _move(org, _scheduled(org), THURSDAY - timedelta(minutes=121))
    assert post.state == S.IN_REVIEW


def test_reschedule_always_sends_the_post_back_to_review(frozen_now: datetime, org: Org) -> None:
    _rule(org, R.ALWAYS)
    scheduled = _scheduled(org)
    new_time = THURSDAY + timedelta(minutes=15)
    post = _move(org, scheduled, new_time)
    assert post.state == S.IN_REVIEW
    assert (post.scheduled_at, post.scheduled_by, post.byline_record) == (None, None, {})
    revision = post.current_revision
    assert revision is not None
    assert (revision.number, revision.requested_publish_at) == (2, new_time)
    assert revision.text == "La médiathèque ouvre jeudi."
    assert revision.created_by == org.manager
    assert post.requested_publish_at == new_time
    # The first approval stays in the history and no longer counts.
    assert post.approvals.count() == 1
    assert policies.current_approvals(post) == []


def test_reschedule_always_is_audited(frozen_now: datetime, org: Org) -> None:
    _rule(org, R.ALWAYS)
    post = _move(org, _scheduled(org), THURSDAY + timedelta(hours=1))
    event = AuditEvent.objects.filter(post=post).order_by("-seq").first()
    assert event is not None
    assert (event.verb, event.actor, event.from_state, event.to_state) == (
        "rescheduled_for_approval",
        org.manager,
        S.SCHEDULED,
        S.IN_REVIEW,
    )
    assert datetime.fromisoformat(event.data["moved_from"]) == THURSDAY
    assert datetime.fromisoformat(event.data["at"]) == THURSDAY + timedelta(hours=1)
    assert (event.data["reschedule_rule"], event.data["revision"]) == (R.ALWAYS, 2)
    assert "tolerance_minutes" not in event.data
    assert event.verb_label == "moved to another time and sent back for approval"


def test_reschedule_always_tells_the_reviewers_as_a_submission(
    frozen_now: datetime, org: Org
) -> None:
    _rule(org, R.ALWAYS)
    other = make_user(username="reviewer2")
    membership_create(user=other, unit=org.service, role=Membership.Role.REVIEWER)
    scheduled = _scheduled(org)
    Notification.objects.all().delete()
    post = _move(org, scheduled, THURSDAY + timedelta(hours=1))
    told = Notification.objects.filter(post=post, kind=Notification.Kind.SUBMITTED)
    # The publisher who moved it is not told of their own move; the author never reviews.
    assert set(told.values_list("recipient__username", flat=True)) == {"reviewer2"}


def test_reschedule_always_tells_the_author_their_post_is_back_in_review(
    frozen_now: datetime, org: Org
) -> None:
    _rule(org, R.ALWAYS)
    scheduled = _scheduled(org)
    Notification.objects.all().delete()
    post = _move(org, scheduled, THURSDAY + timedelta(hours=1))
    told = Notification.objects.get(post=post, kind=Notification.Kind.MOVED_TO_REVIEW)
    assert told.recipient == org.officer
    # Who moved it, to when, and which revision the reviewers now see.
    assert "Marc Leroy moved it to" in told.message
    assert "revision 2" in told.message
    # A publisher moving their own post is not told of their own move.
    Notification.objects.all().delete()
    membership_create(user=org.manager, unit=org.service, role=Membership.Role.AUTHOR)
    reviewer = make_user(username="reviewer2")
    membership_create(user=reviewer, unit=org.service, role=Membership.Role.REVIEWER)
    own = services.post_create(by=org.manager, accounts=[org.mastodon], text="Fermeture lundi.")
    services.post_submit(post=own, by=org.manager)
    services.post_approve(post=own, by=reviewer)
    services.post_schedule(post=own, by=org.manager, at=THURSDAY)
    assert _move(org, own, THURSDAY + timedelta(hours=2)).state == S.IN_REVIEW
    assert not Notification.objects.filter(kind=Notification.Kind.MOVED_TO_REVIEW).exists()


def test_reschedule_always_same_time_is_no_move(frozen_now: datetime, org: Org) -> None:
    _rule(org, R.ALWAYS)
    post = _move(org, _scheduled(org), THURSDAY)
    assert (post.state, post.scheduled_at) == (S.SCHEDULED, THURSDAY)


def test_reschedule_approved_again_schedules_at_the_new_time(
    frozen_now: datetime, org: Org
) -> None:
    """The way back: the new revision is approved, then scheduled for the time it was approved
    for (no move: the rule asks nothing more)."""
    _rule(org, R.ALWAYS)
    new_time = THURSDAY + timedelta(hours=1)
    post = _move(org, _scheduled(org), new_time)
    services.post_approve(post=post, by=org.manager)
    post = _move(org, post, new_time)
    assert (post.state, post.scheduled_at) == (S.SCHEDULED, new_time)
    assert [a["id"] for a in post.byline_record["approvers"]] == [org.manager.pk]


def test_reschedule_approved_post_first_schedule_at_another_time(
    frozen_now: datetime, org: Org
) -> None:
    """An approved post whose author asked for a time: scheduling it elsewhere is a move."""
    _rule(org, R.ALWAYS)
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Marché.", requested_publish_at=THURSDAY
    )
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    assert _move(org, post, THURSDAY + timedelta(days=1)).state == S.IN_REVIEW


def test_reschedule_approved_post_without_asked_time_is_scheduled(
    frozen_now: datetime, org: Org
) -> None:
    _rule(org, R.ALWAYS)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Marché.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    assert _move(org, post, THURSDAY).state == S.SCHEDULED


def test_reschedule_follows_the_strictest_account_policy(frozen_now: datetime, org: Org) -> None:
    _rule(org, R.KEEP, account=org.mastodon)
    _rule(org, R.ALWAYS, account=org.bluesky)
    post = _scheduled(org, accounts=[org.mastodon, org.bluesky])
    assert _move(org, post, THURSDAY + timedelta(hours=1)).state == S.IN_REVIEW


def test_reschedule_refused_to_the_author(frozen_now: datetime, org: Org) -> None:
    _rule(org, R.ALWAYS)
    post = _scheduled(org)
    with pytest.raises(PermissionDenied):
        services.post_schedule(post=post, by=org.officer, at=THURSDAY + timedelta(hours=1))
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (S.SCHEDULED, THURSDAY)


# --- a move into a pre-electoral period --------------------------------------------------------


def _election(org: Org, first_round: date) -> User:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.ministry, role=Membership.Role.ADMIN)
    # The political tier's approvers: the speaking unit's head.
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    window = ElectionWindow(
        name="Municipales", kind="municipal", unit=org.ministry, first_round=first_round
    )
    charter_services.election_window_save(window=window, by=chief)
    return chief


APRIL = datetime(2026, 4, 2, 10, 0, tzinfo=PARIS)


def test_reschedule_keep_refuses_a_move_into_a_pre_electoral_period(
    frozen_now: datetime, org: Org
) -> None:
    _rule(org, R.KEEP)
    post = _scheduled(org)
    _election(org, date(2026, 10, 4))  # its period opens on 1 April
    with pytest.raises(services.ScheduleRefused, match="approved as “Standard”"):
        services.post_schedule(post=post, by=org.manager, at=APRIL)
    post.refresh_from_db()
    assert (post.state, post.tier) == (S.SCHEDULED, PostTier.STANDARD)


@pytest.mark.parametrize(("rule", "minutes"), [(R.ALWAYS, None), (R.TOLERANCE, 60 * 24 * 60)])
def test_reschedule_into_a_pre_electoral_period_goes_to_the_political_tier(
    frozen_now: datetime, org: Org, rule: str, minutes: int | None
) -> None:
    """Even within a (long) tolerance: the political tier's approval is missing."""
    _rule(org, rule, minutes)
    post = _scheduled(org)
    chief = _election(org, date(2026, 10, 4))
    post = _move(org, post, APRIL)
    assert (post.state, post.tier) == (S.IN_REVIEW, PostTier.POLITICAL)
    event = AuditEvent.objects.get(post=post, verb="rescheduled_for_approval")
    assert (event.data["from_tier"], event.data["to_tier"]) == ("standard", "political")
    # Its chain is now the political tier's: the unit's head approves it.
    services.post_approve(post=post, by=chief)
    post.refresh_from_db()
    assert post.state == S.APPROVED


def test_reschedule_always_still_refuses_the_electoral_silence(
    frozen_now: datetime, org: Org
) -> None:
    _rule(org, R.ALWAYS)
    post = _scheduled(org)
    _election(org, date(2026, 5, 10))
    post.refresh_from_db()
    with pytest.raises(services.EditorialError, match="electoral silence"):
        services.post_schedule(post=post, by=org.manager, at=datetime(2026, 5, 9, 12, tzinfo=PARIS))
    post.refresh_from_db()
    assert post.current_revision is not None and post.current_revision.number == 1


# --- the policy's setting ----------------------------------------------------------------------


def test_reschedule_tolerance_rule_needs_minutes(org: Org) -> None:
    policy = ApprovalPolicy(name="Service", unit=org.service, reschedule_rule=R.TOLERANCE)
    with pytest.raises(ValidationError, match="tolerance in minutes"):
        policy.full_clean()


def test_reschedule_minutes_refused_without_the_tolerance_rule(org: Org) -> None:
    policy = ApprovalPolicy(name="Service", unit=org.service, reschedule_tolerance_minutes=30)
    with pytest.raises(ValidationError, match="leave it empty"):
        policy.full_clean()


def test_reschedule_rule_change_is_audited(org: Org) -> None:
    root = make_user(username="root", is_superuser=True, is_staff=True)
    policy = make_policy(unit=org.service, name="Service")
    policy.reschedule_rule = R.TOLERANCE
    policy.reschedule_tolerance_minutes = 90
    approval_chains.approval_policy_save(policy=policy, by=root)
    event = AuditEvent.objects.get(verb="approval_policy_changed")
    assert event.data["before"]["reschedule_rule"] == "keep"
    assert event.data["after"]["reschedule_rule"] == "reapprove_if_moved_more_than"
    assert event.data["after"]["reschedule_tolerance_minutes"] == 90


# --- the admin's approval policy form ----------------------------------------------------------


def _admin(org: Org) -> Client:
    root = make_user(username="root", is_staff=True, is_superuser=True)
    client = Client(headers={"accept-language": "en"})
    client.force_login(root)
    return client


def test_reschedule_rule_shown_and_saved_by_the_admin(org: Org) -> None:
    policy = make_policy(unit=org.service, name="Service")
    client = _admin(org)
    url = reverse("admin:editorial_approvalpolicy_change", args=[policy.pk])
    page = client.get(url).content.decode()
    assert 'name="reschedule_rule"' in page
    assert "Approve again whenever the time changes" in page
    data = admin_form_data(client, url) | {
        "reschedule_rule": R.TOLERANCE,
        "reschedule_tolerance_minutes": "45",
    }
    assert client.post(url, data).status_code == 302
    policy.refresh_from_db()
    assert (policy.reschedule_rule, policy.reschedule_tolerance_minutes) == (R.TOLERANCE, 45)
    event = AuditEvent.objects.get(verb="approval_policy_changed")
    assert event.data["after"]["reschedule_tolerance_minutes"] == 45


def test_reschedule_rule_admin_refuses_a_tolerance_without_minutes(org: Org) -> None:
    policy = make_policy(unit=org.service, name="Service")
    client = _admin(org)
    url = reverse("admin:editorial_approvalpolicy_change", args=[policy.pk])
    data = admin_form_data(client, url) | {"reschedule_rule": R.TOLERANCE}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Give the tolerance in minutes" in response.content.decode()
    policy.refresh_from_db()
    assert policy.reschedule_rule == R.KEEP


def test_reschedule_approved_late_goes_out_as_soon_as_possible(time_machine: Any, org: Org) -> None:
    """Approved after the time it was approved for: "now" is no move (else "always" would
    send it back to review for ever)."""
    traveller = time_machine.move_to
    traveller(FROZEN_NOW, tick=False)
    _rule(org, R.ALWAYS)
    post = _move(org, _scheduled(org), THURSDAY + timedelta(hours=1))
    assert post.state == S.IN_REVIEW
    traveller(THURSDAY + timedelta(hours=3), tick=False)
    services.post_approve(post=post, by=org.manager)
    post = _move_now(org, post)
    assert (post.state, post.scheduled_at) == (S.SCHEDULED, THURSDAY + timedelta(hours=3))


def test_reschedule_now_before_the_approved_time_is_a_move(frozen_now: datetime, org: Org) -> None:
    _rule(org, R.ALWAYS)
    post = _move_now(org, _scheduled(org))
    assert (post.state, post.requested_publish_at) == (S.IN_REVIEW, frozen_now)


def _move_now(org: Org, post: Post) -> Post:
    services.post_schedule(post=post, by=org.manager)
    post.refresh_from_db()
    return post


def test_reschedule_held_post_moved_goes_back_to_review(frozen_now: datetime, org: Org) -> None:
    """A post held by an election declared after its approval (its time is now in the
    pre-electoral period), moved after the vote: a move from the time it was asked for."""
    _rule(org, R.ALWAYS)
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Marché.", requested_publish_at=THURSDAY
    )
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=THURSDAY)
    _election(org, date(2026, 5, 10))
    post.refresh_from_db()
    assert post.state == S.HELD
    after_the_vote = datetime(2026, 6, 1, 10, 0, tzinfo=PARIS)
    post = _move(org, post, after_the_vote)
    assert (post.state, post.requested_publish_at) == (S.IN_REVIEW, after_the_vote)
    event = AuditEvent.objects.get(post=post, verb="rescheduled_for_approval")
    assert (event.from_state, event.to_state) == (S.HELD, S.IN_REVIEW)

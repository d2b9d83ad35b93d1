"""The urgent procedure and its post-hoc review: services and selectors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts import permissions
from accounts.models import Membership, User
from accounts.services import membership_create
from charter.models import Charter, CharterVersion
from editorial import selectors, services
from editorial.models import ApprovalStep, Notification, Post, PostHocReview, PostState
from editorial.services import posthoc, urgent
from tests.conftest import Org
from tests.factories import add_step, drop_permission_row, make_delegation, make_policy, make_user

S = PostState
K = ApprovalStep.Kind
WHY = "Alerte météo rouge: la préfecture demande la diffusion immédiate du message."
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(60))


@pytest.fixture
def chief(org: Org) -> User:
    """An administrator of the service: holds the urgent right through the ADMIN role."""
    chief = make_user(username="chief", first_name="Paul", last_name="Chef")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    return chief


@pytest.fixture
def director(org: Org) -> User:
    """Two steps: the service's reviewers, then the ministry's director."""
    director = make_user(username="director", first_name="Hélène", last_name="Moreau")
    membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.ministry)
    add_step(policy, "Chef de service", K.HIERARCHY, levels_up=0)
    add_step(policy, "Direction", K.HIERARCHY, levels_up=1)
    return director


def _in_review(org: Org, text: str = "Fermeture exceptionnelle des routes ce soir.") -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon, org.bluesky], text=text)
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    return post


def _verbs(post: Post) -> list[str]:
    return list(post.events.order_by("seq").values_list("verb", flat=True))


def test_urgent_publish_requires_justification_and_creates_the_posthoc_review(
    org: Org, chief: User
) -> None:
    post = _in_review(org)
    with pytest.raises(urgent.JustificationRefused):
        urgent.post_publish_urgently(post=post, by=chief, justification="   ")
    assert not PostHocReview.objects.exists()
    review = urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    assert review.post == post
    assert review.justification == WHY
    assert review.urgent_by == chief


def test_urgent_publish_refuses_a_member_without_the_urgent_right(org: Org) -> None:
    post = _in_review(org)
    with pytest.raises(PermissionDenied, match="urgent right"):
        urgent.post_publish_urgently(post=post, by=org.manager, justification=WHY)
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW


def test_urgent_publish_refuses_a_right_missing_on_one_account(org: Org, chief: User) -> None:
    drop_permission_row(chief, permissions.Perm.URGENT, org.bluesky)
    post = _in_review(org)
    with pytest.raises(PermissionDenied, match=str(org.bluesky)):
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY)


def test_urgent_publish_refuses_the_author_even_with_the_right(org: Org, chief: User) -> None:
    for account in (org.mastodon, org.bluesky):
        permissions.grant(org.officer, permissions.Perm.URGENT, account)
        permissions.grant(org.officer, permissions.Perm.PUBLISH, account)
    post = _in_review(org)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        urgent.post_publish_urgently(post=post, by=org.officer, justification=WHY)
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW


def test_urgent_publish_refuses_a_short_justification_naming_the_minimum(
    org: Org, chief: User, settings: Any
) -> None:
    settings.URGENT_JUSTIFICATION_MIN_LENGTH = 50
    post = _in_review(org)
    with pytest.raises(urgent.JustificationRefused) as refused:
        urgent.post_publish_urgently(post=post, by=chief, justification="x" * 45)
    assert "at least 50 characters" in refused.value.message
    assert "5 more" in refused.value.message
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW


def test_urgent_publish_refuses_when_the_charter_now_blocks(org: Org, chief: User) -> None:
    post = _in_review(org)
    # A charter version published after the submission forbids a word of the post.
    charter = Charter.objects.create(name="Charte DGX")
    CharterVersion.objects.create(
        charter=charter, number=1, params={"terms.forbidden": {"terms": ["routes"]}}
    )
    with pytest.raises(services.CharterRefused):
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW
    assert not PostHocReview.objects.exists()


def test_urgent_publish_refuses_a_post_sent_back_for_changes(org: Org, chief: User) -> None:
    post = _in_review(org)
    services.post_request_changes(post=post, by=org.manager, comment="Précisez les horaires.")
    with pytest.raises(services.TransitionRefused, match="asked for changes"):
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY)


def test_urgent_publish_refuses_while_an_account_is_frozen(org: Org, chief: User) -> None:
    post = _in_review(org)
    services.freeze_create(account=org.bluesky, reason="Compte compromis.", by=org.manager)
    with pytest.raises(services.TransitionRefused, match="frozen"):
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY)


def test_urgent_publish_records_skipped_steps_and_their_approvers(
    org: Org, chief: User, director: User
) -> None:
    post = _in_review(org)
    services.post_approve(post=post, by=org.manager)
    review = urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    assert review.skipped_step_names == ["Direction"]
    assert set(review.approvers.values_list("pk", flat=True)) == {director.pk}


def test_urgent_publish_leaves_the_publisher_and_author_out_of_the_reviewers(
    org: Org, chief: User
) -> None:
    post = _in_review(org)
    review = urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    # The default step: every reviewer of both accounts, the chief (an admin) included.
    assert set(review.approvers.values_list("pk", flat=True)) == {org.manager.pk}


def test_urgent_publish_sets_the_due_date_from_the_settings(
    org: Org, chief: User, settings: Any
) -> None:
    settings.POSTHOC_REVIEW_HOURS = 24
    post = _in_review(org)
    with time_machine.travel(NOW, tick=False):
        review = urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    assert review.due_at == NOW + timedelta(hours=24)


def test_urgent_publish_schedules_now_with_a_byline_naming_the_urgency(
    org: Org, chief: User
) -> None:
    post = _in_review(org)
    with time_machine.travel(NOW, tick=False):
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    post.refresh_from_db()
    assert post.state == S.SCHEDULED
    assert post.scheduled_at == NOW
    assert post.scheduled_by == chief
    record = post.byline_record
    assert record["urgent"]["justification"] == WHY
    assert [a["id"] for a in record["approvers"] if a.get("urgent")] == [chief.pk]
    assert set(record["bylines"]) == {str(org.mastodon.pk), str(org.bluesky.pk)}


def test_urgent_publish_appends_audit_events(org: Org, chief: User) -> None:
    post = _in_review(org)
    review = urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    assert _verbs(post)[-2:] == ["published_urgently", "scheduled"]
    event = post.events.get(verb="published_urgently")
    assert (event.actor, event.from_state, event.to_state) == (chief, S.IN_REVIEW, S.APPROVED)
    assert event.data["justification"] == WHY
    assert event.data["posthoc_review"] == review.pk
    assert post.events.get(verb="scheduled").data["urgent"] is True


def test_urgent_publish_notifies_the_skipped_approvers(org: Org, chief: User) -> None:
    post = _in_review(org)
    urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    notes = Notification.objects.filter(kind=Notification.Kind.POSTHOC_DUE)
    assert list(notes.values_list("recipient", flat=True)) == [org.manager.pk]
    assert notes.get().message == WHY


def test_urgent_publish_refuses_when_nobody_else_could_review(org: Org, chief: User) -> None:
    # The manager is the only other reviewer; without the review right nobody is left.
    for account in (org.mastodon, org.bluesky):
        drop_permission_row(org.manager, permissions.Perm.REVIEW, account)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte urgent.")
    services.post_submit(post=post, by=org.officer)
    with pytest.raises(services.TransitionRefused, match="Nobody but you"):
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY)


# --- post-hoc review ---------------------------------------------------------------------


def _review(org: Org, chief: User) -> PostHocReview:
    return urgent.post_publish_urgently(post=_in_review(org), by=chief, justification=WHY)


def test_posthoc_review_complete_confirms_and_audits(org: Org, chief: User) -> None:
    review = _review(org, chief)
    done = posthoc.posthoc_review_complete(review=review, by=org.manager, outcome="confirmed")
    assert (done.outcome, done.completed_by) == ("confirmed", org.manager)
    event = review.post.events.get(verb="posthoc_confirmed")
    assert event.actor == org.manager
    assert event.data["posthoc_review"] == review.pk


def test_posthoc_review_complete_objection_needs_a_comment(org: Org, chief: User) -> None:
    review = _review(org, chief)
    with pytest.raises(services.EditorialError, match="comment is required"):
        posthoc.posthoc_review_complete(review=review, by=org.manager, outcome="objected")
    review.refresh_from_db()
    assert review.is_open


def test_posthoc_review_complete_objection_notifies_publisher_and_author(
    org: Org, chief: User
) -> None:
    review = _review(org, chief)
    posthoc.posthoc_review_complete(
        review=review, by=org.manager, outcome="objected", comment="Le ton ne convient pas."
    )
    notes = Notification.objects.filter(kind=Notification.Kind.POSTHOC_OBJECTED)
    assert set(notes.values_list("recipient", flat=True)) == {chief.pk, org.officer.pk}
    assert {n.message for n in notes} == {"Le ton ne convient pas."}


def test_posthoc_review_complete_refuses_someone_not_skipped(org: Org, chief: User) -> None:
    review = _review(org, chief)
    with pytest.raises(PermissionDenied, match="skipped steps"):
        posthoc.posthoc_review_complete(review=review, by=org.outsider, outcome="confirmed")


def test_posthoc_review_complete_refuses_the_urgent_publisher(org: Org, chief: User) -> None:
    review = _review(org, chief)
    with pytest.raises(PermissionDenied):
        posthoc.posthoc_review_complete(review=review, by=chief, outcome="confirmed")


def test_posthoc_review_complete_refuses_a_second_completion(org: Org, chief: User) -> None:
    review = _review(org, chief)
    posthoc.posthoc_review_complete(review=review, by=org.manager, outcome="confirmed")
    with pytest.raises(services.EditorialError, match="already completed"):
        posthoc.posthoc_review_complete(review=review, by=org.manager, outcome="confirmed")


def test_posthoc_review_complete_accepts_a_deputy_and_records_whom_for(
    org: Org, chief: User
) -> None:
    deputy = make_user(username="deputy")
    review = _review(org, chief)
    with time_machine.travel(date(2026, 3, 3), tick=False):
        make_delegation(org.manager, deputy, date(2026, 3, 1), date(2026, 3, 10))
        done = posthoc.posthoc_review_complete(review=review, by=deputy, outcome="confirmed")
    assert done.as_deputy_of == org.manager
    assert review.post.events.get(verb="posthoc_confirmed").on_behalf_of == org.manager


def test_posthoc_review_complete_refuses_an_expired_deputy(org: Org, chief: User) -> None:
    deputy = make_user(username="deputy")
    review = _review(org, chief)
    with time_machine.travel(date(2026, 3, 20), tick=False):
        make_delegation(org.manager, deputy, date(2026, 3, 1), date(2026, 3, 10))
        with pytest.raises(PermissionDenied):
            posthoc.posthoc_review_complete(review=review, by=deputy, outcome="confirmed")


# --- selectors ---------------------------------------------------------------------------


def test_posthoc_reviews_overdue_lists_open_reviews_past_due(
    org: Org, chief: User, settings: Any
) -> None:
    settings.POSTHOC_REVIEW_HOURS = 48
    with time_machine.travel(NOW, tick=False):
        review = _review(org, chief)
    assert list(selectors.posthoc_reviews_overdue(now=NOW + timedelta(hours=47))) == []
    with time_machine.travel(NOW + timedelta(hours=49), tick=False):
        assert list(selectors.posthoc_reviews_overdue()) == [review]


def test_posthoc_reviews_overdue_leaves_out_completed_reviews(org: Org, chief: User) -> None:
    with time_machine.travel(NOW, tick=False):
        review = _review(org, chief)
    with time_machine.travel(NOW + timedelta(days=5), tick=False):
        posthoc.posthoc_review_complete(review=review, by=org.manager, outcome="confirmed")
        assert list(selectors.posthoc_reviews_overdue()) == []


def test_posthoc_reviews_for_lists_owed_reviews_with_overdue_flag(org: Org, chief: User) -> None:
    with time_machine.travel(NOW, tick=False):
        review = _review(org, chief)
    owed = selectors.posthoc_reviews_for(org.manager, now=NOW + timedelta(days=3))
    assert [(o.review, o.overdue) for o in owed] == [(review, True)]
    assert selectors.posthoc_reviews_for(chief) == []
    assert selectors.posthoc_reviews_for(org.officer) == []


def test_urgent_transition_permission_refuses_the_author_and_allows_the_right(
    org: Org, chief: User
) -> None:
    from django_fsm import has_transition_perm

    for account in (org.mastodon, org.bluesky):
        permissions.grant(org.officer, permissions.Perm.URGENT, account)
    post = _in_review(org)
    assert not has_transition_perm(post.approve_urgently, org.officer)
    assert not has_transition_perm(post.approve_urgently, org.manager)
    assert has_transition_perm(post.approve_urgently, chief)

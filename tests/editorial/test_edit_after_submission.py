"""Editing a post after submission: new revision, back to review, approvals no longer count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from editorial import policies, services
from editorial.models import Approval, Post, PostState
from tests.conftest import Org

S = PostState
TEXT = "Les guichets ouvrent lundi."


def _submitted(org: Org, tier: str = "standard") -> Post:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=TEXT, tier=tier)
    services.post_submit(post=post, by=org.officer)
    return post


def _approved(org: Org) -> Post:
    post = _submitted(org)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    return post


def _edit(
    org: Org, post: Post, text: str = "Les guichets ouvrent mardi.", **kwargs: object
) -> Post:
    assert post.current_revision is not None
    services.post_update(
        post=post,
        by=org.officer,
        base_revision=post.current_revision.number,
        text=text,
        language="fr",
        **kwargs,  # type: ignore[arg-type]
    )
    post.refresh_from_db()
    return post


def test_edit_after_approval_resets_approvals_and_keeps_the_old_one_in_history(org: Org) -> None:
    post = _edit(org, _approved(org))
    old = Approval.objects.get(post=post)
    assert post.state == S.IN_REVIEW
    assert post.current_revision is not None and post.current_revision.number == 2
    assert old.revision.number == 1  # still there, bound to the first revision's hash
    assert old.content_hash != post.current_revision.content_hash
    assert policies.current_approvals(post) == []
    assert [e.verb for e in post.events.all()][-2:] == ["edited", "resubmitted"]


def test_edit_after_approval_needs_a_new_approval_to_schedule(org: Org) -> None:
    post = _edit(org, _approved(org))
    with pytest.raises(services.TransitionRefused):
        services.post_schedule(post=post, by=org.manager)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.state == S.APPROVED
    assert post.approvals.count() == 2


def test_edit_of_a_scheduled_post_leaves_the_schedule(org: Org) -> None:
    post = _approved(org)
    services.post_schedule(post=post, by=org.manager, at=timezone.now() + timedelta(hours=2))
    post = _edit(org, post)
    assert post.state == S.IN_REVIEW
    assert post.scheduled_at is None and post.scheduled_by is None
    assert post.byline_record == {}
    event = post.events.get(verb="resubmitted")
    assert event.from_state == S.SCHEDULED and event.data["unscheduled"]


def test_edit_in_review_stays_in_review_with_a_new_revision(org: Org) -> None:
    post = _edit(org, _submitted(org))
    assert post.state == S.IN_REVIEW
    assert post.current_revision is not None and post.current_revision.number == 2


def test_edit_blocked_by_the_charter_goes_back_to_draft_with_findings(org: Org) -> None:
    post = _edit(org, _approved(org), text="x" * 600)
    assert post.state == S.DRAFT
    assert post.current_revision is not None
    rules = {f["rule"] for f in post.current_revision.check_report["findings"]}
    assert "len.mastodon" in rules
    assert post.events.last().verb == "returned_to_draft"  # type: ignore[union-attr]


def test_edit_after_submission_only_by_the_author(org: Org) -> None:
    post = _submitted(org)
    with pytest.raises(PermissionDenied):
        services.post_update(post=post, by=org.manager, base_revision=1, text="x", language="fr")


def test_edit_can_raise_the_tier_but_not_lower_it_once_submitted(org: Org) -> None:
    post = _edit(org, _submitted(org), tier="political")
    assert post.tier == "political"
    with pytest.raises(services.EditorialError, match="only be raised"):
        _edit(org, post, text="Encore.", tier="standard")


def test_edit_of_tier_alone_makes_a_new_revision_to_approve(org: Org) -> None:
    post = _approved(org)
    post = _edit(org, post, text=TEXT, tier="sensitive")
    assert post.state == S.IN_REVIEW
    assert policies.current_approvals(post) == []


def test_edit_of_the_requested_time_alone_needs_a_new_approval(org: Org) -> None:
    post = _approved(org)
    assert post.current_revision is not None
    approved_hash = post.current_revision.content_hash

    post = _edit(org, post, text=TEXT, requested_publish_at=timezone.now() + timedelta(days=2))

    assert post.state == S.IN_REVIEW
    assert post.current_revision is not None
    assert post.current_revision.content_hash != approved_hash
    assert policies.current_approvals(post) == []

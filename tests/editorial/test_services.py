from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from editorial import services
from editorial.models import Approval, AuditEvent, Post, PostState
from tests.conftest import Org

S = PostState


def _draft(org: Org, text: str = "Bonne nouvelle pour les usagers.") -> Post:
    return services.post_create(
        by=org.officer, accounts=[org.mastodon, org.bluesky], text=text, language="fr"
    )


def _approved(org: Org) -> Post:
    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    return post


def test_post_create_keeps_first_revision_and_audits(org: Org) -> None:
    post = _draft(org)
    assert post.state == S.DRAFT
    assert post.current_revision is not None
    assert post.current_revision.number == 1
    assert post.unit == org.service
    assert list(post.events.values_list("verb", flat=True)) == ["created"]


def test_post_create_refuses_account_without_draft_grant(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        services.post_create(by=org.outsider, accounts=[org.mastodon], text="x")


def test_post_submit_moves_to_review_and_records_charter(org: Org) -> None:
    post = _draft(org)
    report = services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    assert report.ok
    assert post.state == S.IN_REVIEW
    assert post.current_revision is not None
    assert post.current_revision.check_report["charter"] == report.charter_label


def test_post_submit_refuses_blocking_finding_and_keeps_draft(org: Org) -> None:
    text = "x" * 600
    post = _draft(org, text)
    with pytest.raises(services.CharterRefused) as refused:
        services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    assert post.state == S.DRAFT
    assert post.current_revision is not None and post.current_revision.text == text
    assert {f.rule for f in refused.value.report.blocking} >= {"len.mastodon", "len.bluesky"}
    assert "len.mastodon" not in {e.verb for e in post.events.all()}


def test_post_approve_by_author_is_refused_four_eyes(org: Org) -> None:
    from accounts.models import Membership
    from accounts.services import membership_create

    membership_create(user=org.officer, unit=org.service, role=Membership.Role.REVIEWER)
    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        services.post_approve(post=post, by=org.officer)
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW


def test_post_approve_records_content_hash(org: Org) -> None:
    post = _approved(org)
    approval = Approval.objects.get(post=post)
    assert post.state == S.APPROVED
    assert post.current_revision is not None
    assert approval.content_hash == post.current_revision.content_hash
    assert approval.approver == org.manager


def test_post_approve_refused_in_draft(org: Org) -> None:
    post = _draft(org)
    with pytest.raises(services.TransitionRefused, match=r"Draft|Brouillon"):
        services.post_approve(post=post, by=org.manager)


def test_post_approve_refused_to_outsider(org: Org) -> None:
    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=org.outsider)


def test_post_request_changes_requires_comment(org: Org) -> None:
    post = _draft(org)
    services.post_submit(post=post, by=org.officer)
    with pytest.raises(services.EditorialError):
        services.post_request_changes(post=post, by=org.manager, comment="  ")
    services.post_request_changes(post=post, by=org.manager, comment="Citez la source.")
    post.refresh_from_db()
    assert post.state == S.CHANGES_REQUESTED
    assert post.comments.get().body == "Citez la source."


def test_post_update_creates_revision_and_detects_conflict(org: Org) -> None:
    post = _draft(org)
    revision = services.post_update(
        post=post, by=org.officer, base_revision=1, text="Version 2", language="fr"
    )
    assert revision.number == 2
    with pytest.raises(services.EditConflict) as conflict:
        services.post_update(
            post=post, by=org.officer, base_revision=1, text="Version concurrente", language="fr"
        )
    assert conflict.value.current_revision == 2
    post.refresh_from_db()
    assert post.current_revision is not None and post.current_revision.text == "Version 2"


def test_post_update_refused_once_publishing(org: Org) -> None:
    from django.db import transaction

    post = _approved(org)
    services.post_schedule(post=post, by=org.manager)
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))
    with pytest.raises(services.TransitionRefused, match="cannot be edited"):
        services.post_update(post=post, by=org.officer, base_revision=1, text="x", language="fr")


def test_post_schedule_freezes_byline(org: Org) -> None:
    post = _approved(org)
    at = timezone.now() + timedelta(hours=1)
    services.post_schedule(post=post, by=org.manager, at=at)
    post.refresh_from_db()
    record = post.byline_record
    assert post.state == S.SCHEDULED
    assert post.scheduled_by == org.manager
    assert record["unit"] == "SICOM"
    assert record["author"]["initials"] == "JD"
    assert [a["id"] for a in record["approvers"]] == [org.manager.pk]
    assert record["bylines"][str(org.mastodon.pk)] == "— SICOM ^JD"


def test_post_schedule_refused_without_publish_grant(org: Org) -> None:
    post = _approved(org)
    with pytest.raises(PermissionDenied):
        services.post_schedule(post=post, by=org.officer)


def test_post_schedule_refuses_past_time(org: Org) -> None:
    post = _approved(org)
    with pytest.raises(services.EditorialError, match="past"):
        services.post_schedule(post=post, by=org.manager, at=timezone.now() - timedelta(hours=2))


def test_every_transition_is_audited_with_its_actor(org: Org) -> None:
    post = _approved(org)
    services.post_schedule(post=post, by=org.manager)
    events = list(AuditEvent.objects.filter(post=post).values_list("verb", "actor__username"))
    assert events == [
        ("created", "officer"),
        ("submitted", "officer"),
        ("approved", "manager"),
        ("scheduled", "manager"),
    ]


def test_post_tier_is_part_of_the_content_hash(org: Org) -> None:
    standard = services.post_create(by=org.officer, accounts=[org.mastodon], text="Même texte.")
    political = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Même texte.", tier="political"
    )
    assert standard.current_revision is not None and political.current_revision is not None
    assert standard.current_revision.content_hash != political.current_revision.content_hash

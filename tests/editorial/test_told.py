"""The notifications added so that everyone who must act is told (issue #12): their edges,
and how they read in the list and by email, in French and English. Who hears of each event
is in ``test_who_is_told``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts import permissions
from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import emails, services
from editorial.models import ApprovalStep, Notification, NotificationPreference, Post
from editorial.services import posthoc, urgent
from tests.conftest import Org
from tests.factories import add_step, drop_permission_row, make_policy, make_user

K = Notification.Kind
NEW_KINDS = [K.POSTHOC_CONFIRMED, K.READY_TO_SCHEDULE, K.REREVIEW]


@pytest.fixture
def reviewer(org: Org) -> User:
    """Approves, and publishes nowhere: what they hear is not a publisher's."""
    user = make_user(username="reviewer")
    membership_create(user=user, unit=org.service, role=Membership.Role.REVIEWER)
    return user


@pytest.fixture
def publisher(org: Org) -> User:
    user = make_user(username="publisher")
    membership_create(user=user, unit=org.service, role=Membership.Role.PUBLISHER)
    return user


def _both_accounts(org: Org) -> Post:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon, org.bluesky], text="Guichet unique lundi."
    )
    services.post_submit(post=post, by=org.officer)
    return post


def _told(kind: str) -> set[str]:
    notes = Notification.objects.filter(kind=kind).select_related("recipient")
    return {n.recipient.username for n in notes}


def test_ready_to_schedule_reaches_only_who_publishes_on_every_account(
    org: Org, reviewer: User, publisher: User
) -> None:
    # The publisher lost Bluesky: they could not schedule a post that also goes there.
    drop_permission_row(publisher, permissions.Perm.PUBLISH, org.bluesky)
    post = _both_accounts(org)
    services.post_approve(post=post, by=reviewer)
    assert _told(K.READY_TO_SCHEDULE) == {"manager"}
    assert _told(K.APPROVED) == {"officer"}


def test_ready_to_schedule_falls_back_to_the_publishers_of_any_account(
    org: Org, reviewer: User, publisher: User
) -> None:
    # Nobody publishes on both: each account's publishers hear of it, to schedule it together.
    drop_permission_row(org.manager, permissions.Perm.PUBLISH, org.bluesky)
    drop_permission_row(publisher, permissions.Perm.PUBLISH, org.mastodon)
    post = _both_accounts(org)
    services.post_approve(post=post, by=reviewer)
    assert _told(K.READY_TO_SCHEDULE) == {"manager", "publisher"}


def test_ready_to_schedule_not_sent_to_an_author_who_publishes(org: Org, reviewer: User) -> None:
    membership_create(user=org.officer, unit=org.service, role=Membership.Role.PUBLISHER)
    post = _both_accounts(org)
    services.post_approve(post=post, by=reviewer)
    assert _told(K.APPROVED) == {"officer"}
    assert _told(K.READY_TO_SCHEDULE) == {"manager"}


def test_ready_to_schedule_not_sent_while_a_step_remains(org: Org, reviewer: User) -> None:
    director = make_user(username="director")
    membership_create(user=director, unit=org.ministry, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.ministry)
    add_step(policy, "Service", ApprovalStep.Kind.HIERARCHY, levels_up=0)
    add_step(policy, "Direction", ApprovalStep.Kind.HIERARCHY, levels_up=1)
    post = _both_accounts(org)
    services.post_approve(post=post, by=reviewer)
    assert _told(K.READY_TO_SCHEDULE) == set()


def test_rereview_not_sent_when_the_charter_sends_the_edit_back_to_draft(org: Org) -> None:
    post = _both_accounts(org)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.current_revision is not None
    services.post_update(
        post=post,
        by=org.officer,
        base_revision=post.current_revision.number,
        # A personal address: the charter blocks it, so there is nothing to review yet.
        text="Écrivez à jeanne.dupont@gmail.com pour toute question.",
        language="fr",
    )
    post.refresh_from_db()
    assert post.state == "draft"
    assert _told(K.REREVIEW) == set()


def test_rereview_of_a_scheduled_post_reaches_the_approver_and_not_the_author(
    org: Org, reviewer: User
) -> None:
    post = _both_accounts(org)
    services.post_approve(post=post, by=reviewer)
    services.post_schedule(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.current_revision is not None
    services.post_update(
        post=post,
        by=org.officer,
        base_revision=post.current_revision.number,
        text="Guichet unique mardi.",
        language="fr",
    )
    assert _told(K.REREVIEW) == {"reviewer", "manager"}


def test_posthoc_confirmed_carries_the_comment_to_the_urgent_publisher(
    org: Org, reviewer: User
) -> None:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    review = urgent.post_publish_urgently(
        post=_both_accounts(org),
        by=chief,
        justification="Alerte météo rouge : la préfecture demande la diffusion immédiate.",
    )
    posthoc.posthoc_review_complete(
        review=review, by=reviewer, outcome="confirmed", comment="Justifié."
    )
    notes = Notification.objects.filter(kind=K.POSTHOC_CONFIRMED)
    assert {n.recipient.username for n in notes} == {"chief", "officer", "manager"}
    assert {n.message for n in notes} == {"Justifié."}


# --- how they read -------------------------------------------------------------------------


@pytest.fixture
def _site(settings: Any) -> None:
    settings.SITE_URL = "https://porte-voix.example.gouv.fr/"


@pytest.mark.parametrize(
    ("language", "headlines"),
    [
        (
            "fr",
            {
                K.POSTHOC_CONFIRMED: "Revue a posteriori confirmée",
                K.READY_TO_SCHEDULE: "Approuvée et sans réserve\u00a0: prête à programmer",
                K.REREVIEW: "Modifiée depuis l'approbation\u00a0: à relire",
            },
        ),
        (
            "en",
            {
                K.POSTHOC_CONFIRMED: "Post-hoc review confirmed",
                K.READY_TO_SCHEDULE: "Approved and cleared: ready to schedule",
                K.REREVIEW: "Changed since approval: review it again",
            },
        ),
    ],
)
def test_email_of_the_new_kinds_reads_in_the_recipients_language(
    org: Org, _site: None, language: str, headlines: dict[str, str]
) -> None:
    post = _both_accounts(org)
    pref = NotificationPreference(user=org.manager, language=language)
    for kind in NEW_KINDS:
        note = Notification.objects.create(recipient=org.manager, post=post, kind=kind)
        email = emails.compose(note, pref)
        # The subject is one line, and French keeps its no-break space before a colon.
        assert headlines[kind] in email.subject
        assert "\n" not in email.subject
        assert post.title in email.subject
        assert email.body.count(headlines[kind]) == 1
        assert f"https://porte-voix.example.gouv.fr/posts/{post.pk}/" in email.body
        assert "None" not in email.body


def test_notification_list_shows_the_new_kinds_in_french(org: Org) -> None:
    post = _both_accounts(org)
    for kind in NEW_KINDS:
        Notification.objects.create(recipient=org.manager, post=post, kind=kind)
    client = Client(headers={"accept-language": "fr"})
    client.force_login(org.manager)
    page = client.get(reverse("editorial:notifications")).content.decode()
    assert "Revue a posteriori confirmée" in page
    assert "Approuvée et sans réserve\u00a0: prête à programmer" in page
    assert "Modifiée depuis l&#x27;approbation\u00a0: à relire" in page
    assert page.count(reverse("editorial:post", args=[post.pk])) >= len(NEW_KINDS)


@pytest.mark.parametrize(
    ("language", "quoted"),
    [
        ("fr", "{id}\u00a0: «\u00a0Guichet unique lundi.\u00a0»"),
        ("en", "#{id}: “Guichet unique lundi.”"),
    ],
)
def test_email_quotes_the_post_title_in_the_recipients_typography(
    org: Org, _site: None, language: str, quoted: str
) -> None:
    post = _both_accounts(org)
    note = Notification.objects.create(recipient=org.manager, post=post, kind=K.REREVIEW)
    email = emails.compose(note, NotificationPreference(user=org.manager, language=language))
    assert quoted.format(id=post.pk) in email.body

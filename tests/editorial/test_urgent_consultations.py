"""The urgent procedure past an unanswered blocking consultation: said, acknowledged, re-checked
at the moment it acts, closed as overridden, audited, and told to the consulted unit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import selectors, services
from editorial.models import Consultation, Notification, Post, PostState
from editorial.policies import consultations as consultation_rules
from editorial.selectors import consultations as consultation_selectors
from editorial.services import consultations, urgent
from tests.conftest import Org
from tests.editorial.consultation_setup import Legal, ask, make_legal
from tests.factories import make_unit, make_user

S = PostState
Kind = Notification.Kind
WHY = "Alerte météo rouge: la préfecture demande la diffusion immédiate du message."

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def chief(org: Org) -> User:
    """Holds the urgent right through the ADMIN role of the service."""
    chief = make_user(username="chief", first_name="Paul", last_name="Chef")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    return chief


@pytest.fixture
def legal(org: Org) -> Legal:
    return make_legal(org)


def _in_review(org: Org) -> Post:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Fermeture des routes ce soir."
    )
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    return post


def _prefecture(org: Org, post: Post) -> Consultation:
    """A second unit, asked by the reviewer (so the requester is not the author)."""
    unit = make_unit(name="Préfecture", code="pref", parent=org.ministry)
    member = make_user(username="prefet")
    membership_create(user=member, unit=unit, role=Membership.Role.AUTHOR)
    (consultation,) = consultations.consultation_request(
        post=post,
        units=[unit],
        question="Les horaires sont-ils confirmés ?",
        blocking=True,
        deadline=timezone.now() + timedelta(hours=4),
        by=org.manager,
    )
    return consultation


def _publish(post: Post, chief: User, *seen: Consultation) -> None:
    ids = {c.pk for c in seen}
    urgent.post_publish_urgently(
        post=post, by=chief, justification=WHY, acknowledged=ids, shown=ids
    )


def _state(post: Post) -> str:
    post.refresh_from_db()
    return str(post.state)


def test_blocking_unanswered_lists_what_the_procedure_would_override(
    org: Org, legal: Legal, frozen_now: datetime
) -> None:
    post = _in_review(org)
    waiting = ask(legal, post, deadline=frozen_now + timedelta(days=2))
    advisory = _prefecture(org, post)
    advisory.blocking = False
    advisory.save()
    (row,) = selectors.blocking_unanswered(post)
    assert row == waiting
    assert (row.unit, row.created_at, row.deadline) == (
        legal.unit,
        frozen_now,
        frozen_now + timedelta(days=2),
    )


def test_blocking_unanswered_leaves_out_agreed_and_cancelled(org: Org, legal: Legal) -> None:
    post = _in_review(org)
    agreed = ask(legal, post)
    consultations.consultation_answer(
        consultation=agreed, answer="agree", comment="", by=legal.jurist
    )
    cancelled = _prefecture(org, post)
    consultations.consultation_cancel(consultation=cancelled, by=org.manager)
    assert list(selectors.blocking_unanswered(post)) == []


def test_urgent_publish_requires_the_acknowledgement_naming_the_unit(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    with pytest.raises(urgent.ConsultationsNotAcknowledged) as refused:
        urgent.post_publish_urgently(
            post=post, by=chief, justification=WHY, acknowledged=(), shown={consultation.pk}
        )
    assert "Affaires juridiques" in refused.value.message
    assert "tick the box" in refused.value.message
    assert _state(post) == S.IN_REVIEW
    consultation.refresh_from_db()
    assert consultation.overridden_at is None
    assert not post.posthoc_reviews.exists()
    assert not Notification.objects.filter(kind=Kind.CONSULTATION_OVERRIDDEN).exists()


def test_urgent_publish_refuses_a_consultation_asked_after_the_page_was_read(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    seen = ask(legal, post)
    later = _prefecture(org, post)  # asked between the page and the submission
    with pytest.raises(urgent.ConsultationsNotAcknowledged) as refused:
        _publish(post, chief, seen)
    assert "Since you opened this page, Préfecture (pref)" in refused.value.message
    assert "Affaires juridiques" not in refused.value.message
    assert _state(post) == S.IN_REVIEW
    assert Consultation.objects.filter(pk__in=[seen.pk, later.pk], overridden_at=None).count() == 2


def test_urgent_publish_refuses_a_consultation_asked_on_a_page_that_showed_none(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    ask(legal, post)
    with pytest.raises(urgent.ConsultationsNotAcknowledged, match="Since you opened this page"):
        urgent.post_publish_urgently(post=post, by=chief, justification=WHY, shown=())
    assert _state(post) == S.IN_REVIEW


def test_urgent_publish_refuses_past_an_objection(org: Org, chief: User, legal: Legal) -> None:
    post = _in_review(org)
    objected = ask(legal, post)
    consultations.consultation_answer(
        consultation=objected, answer="object", comment="Le délai est faux.", by=legal.jurist
    )
    with pytest.raises(services.TransitionRefused, match=r"Affaires juridiques \(daj\) objected"):
        _publish(post, chief, objected)
    assert _state(post) == S.IN_REVIEW


def test_urgent_publish_closes_the_consultation_as_overridden(
    org: Org, chief: User, legal: Legal, frozen_now: datetime
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    _publish(post, chief, consultation)
    assert _state(post) == S.SCHEDULED
    consultation.refresh_from_db()
    review = post.posthoc_reviews.get()
    assert consultation.overridden_at == frozen_now
    assert consultation.overridden_by_urgent == review
    assert consultation.status() == Consultation.Status.OVERRIDDEN
    assert not consultation.holds
    assert not consultation.is_overdue(frozen_now + timedelta(days=30))
    assert consultation_rules.cancel_refusal(consultation, legal.org.officer) == (
        "This consultation was closed by the urgent procedure."
    )


def test_urgent_publish_audits_each_overridden_consultation(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    _publish(post, chief, consultation)
    verbs = list(post.events.order_by("seq").values_list("verb", flat=True))
    assert verbs[-3:] == ["published_urgently", "consultation_overridden", "scheduled"]
    event = post.events.get(verb="consultation_overridden")
    assert event.actor == chief
    assert event.data["consultation_id"] == consultation.pk
    assert event.data["unit"] == {"id": legal.unit.pk, "name": "Affaires juridiques (daj)"}
    assert event.data["justification"] == WHY
    assert event.data["posthoc_review"] == post.posthoc_reviews.get().pk
    published = post.events.get(verb="published_urgently")
    assert published.data["overridden_consultations"] == ["Affaires juridiques (daj)"]


def test_urgent_publish_tells_the_members_who_would_have_answered(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post, by=org.manager)
    asked = Notification.objects.filter(kind=Kind.CONSULTATION_REQUESTED)
    asked_of = set(asked.values_list("recipient", flat=True))
    _publish(post, chief, consultation)
    told = Notification.objects.filter(kind=Kind.CONSULTATION_OVERRIDDEN)
    assert (
        set(told.values_list("recipient", flat=True))
        == asked_of
        == {
            legal.jurist.pk,
            legal.head.pk,
        }
    )
    assert {n.message for n in told} == {WHY}
    assert {n.post_id for n in told} == {post.pk}


def test_urgent_publish_leaves_out_of_the_unit_the_publisher_author_and_requester(
    org: Org, chief: User, legal: Legal
) -> None:
    for user in (chief, org.officer, org.manager):
        membership_create(user=user, unit=legal.unit, role=Membership.Role.REVIEWER)
    post = _in_review(org)
    consultation = ask(legal, post, by=org.manager)
    _publish(post, chief, consultation)
    told = Notification.objects.filter(kind=Kind.CONSULTATION_OVERRIDDEN)
    assert set(told.values_list("recipient", flat=True)) == {legal.jurist.pk, legal.head.pk}


def test_urgent_publish_without_consultation_tells_no_unit(org: Org, chief: User) -> None:
    post = _in_review(org)
    urgent.post_publish_urgently(post=post, by=chief, justification=WHY)
    assert _state(post) == S.SCHEDULED
    assert not Notification.objects.filter(kind=Kind.CONSULTATION_OVERRIDDEN).exists()


def test_overridden_consultation_leaves_the_queue_and_the_escalation(
    org: Org, chief: User, legal: Legal, frozen_now: datetime
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post, deadline=frozen_now + timedelta(hours=1))
    _publish(post, chief, consultation)
    assert consultation_selectors.consultation_queue(legal.jurist) == []
    assert consultations.consultations_escalate_overdue(now=frozen_now + timedelta(days=3)) == 0


def test_overridden_consultation_late_objection_reaches_the_publisher_and_posthoc_reviewers(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    _publish(post, chief, consultation)
    review = post.posthoc_reviews.get()
    assert set(review.approvers.values_list("pk", flat=True)) == {org.manager.pk}
    answered = consultations.consultation_answer(
        consultation=consultation, answer="object", comment="Le délai est faux.", by=legal.jurist
    )
    assert answered.answered_late
    assert answered.status() == Consultation.Status.OVERRIDDEN
    note = Notification.objects.filter(kind=Kind.CONSULTATION_ANSWERED)
    assert set(note.values_list("recipient", flat=True)) == {
        chief.pk,
        org.manager.pk,
        org.officer.pk,
    }
    assert "Le délai est faux." in note.first().message  # type: ignore[union-attr]
    event = post.events.get(verb="consultation_answered")
    assert event.data["after_urgent_publication"] is True


def test_overridden_consultation_is_answered_once_only(org: Org, chief: User, legal: Legal) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    _publish(post, chief, consultation)
    consultations.consultation_answer(
        consultation=consultation, answer="agree", comment="", by=legal.jurist
    )
    with pytest.raises(services.EditorialError, match="already answered after the urgent"):
        consultations.consultation_answer(
            consultation=consultation, answer="object", comment="Non.", by=legal.head
        )


def test_overridden_consultation_late_answer_still_needs_a_member(
    org: Org, chief: User, legal: Legal
) -> None:
    post = _in_review(org)
    consultation = ask(legal, post)
    _publish(post, chief, consultation)
    with pytest.raises(PermissionDenied, match="Only members of Affaires juridiques"):
        consultations.consultation_answer(
            consultation=consultation, answer="agree", comment="", by=org.outsider
        )

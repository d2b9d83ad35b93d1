"""Consultation deadline escalation, with time-machine: silence never counts as consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services, tasks
from editorial.models import AuditEvent, Consultation, Notification, PostState
from editorial.policies import consultations as consultation_rules
from editorial.services import consultations
from tests.conftest import Org
from tests.editorial.consultation_setup import Legal, ask, make_legal, state, submitted
from tests.factories import make_user

K = Notification.Kind
ASKED = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
DEADLINE = ASKED + timedelta(days=2)


@pytest.fixture
def legal(org: Org) -> Legal:
    return make_legal(org)


@pytest.fixture
def waiting(legal: Legal) -> Consultation:
    """A blocking consultation on a post whose chain is complete: only the answer is missing."""
    with time_machine.travel(ASKED, tick=False):
        post = submitted(legal.org)
        consultation = ask(legal, post, deadline=DEADLINE)
        services.post_approve(post=post, by=legal.org.manager)
    Notification.objects.all().delete()
    return consultation


def _overdue(user: Any) -> int:
    return Notification.objects.filter(recipient=user, kind=K.CONSULTATION_OVERDUE).count()


def _escalate(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return consultations.consultations_escalate_overdue()


def _level(consultation: Consultation) -> int:
    consultation.refresh_from_db()
    return consultation.escalation_level


def test_escalation_nothing_before_the_deadline(legal: Legal, waiting: Consultation) -> None:
    assert _escalate(DEADLINE - timedelta(minutes=1)) == 0
    assert _level(waiting) == 0
    assert not Notification.objects.exists()


def test_escalation_level_one_alerts_the_unit_head_at_the_deadline(
    legal: Legal, waiting: Consultation
) -> None:
    assert _escalate(DEADLINE) == 1
    assert _level(waiting) == 1
    assert waiting.escalated_at == DEADLINE
    assert _overdue(legal.head) == 1
    assert _overdue(legal.jurist) == 0  # a plain member: the head is alerted
    assert _overdue(legal.org.officer) == 0


def test_escalation_level_one_is_audited_without_a_user(
    legal: Legal, waiting: Consultation
) -> None:
    _escalate(DEADLINE)
    event = AuditEvent.objects.get(verb="consultation_escalated")
    assert (event.actor, event.post_id, event.data["level"]) == (None, waiting.post_id, 1)
    assert event.data["notified"] == [legal.head.pk]


def test_escalation_is_idempotent(legal: Legal, waiting: Consultation) -> None:
    _escalate(DEADLINE)
    assert _escalate(DEADLINE + timedelta(minutes=1)) == 0
    assert _overdue(legal.head) == 1
    assert AuditEvent.objects.filter(verb="consultation_escalated").count() == 1


def test_escalation_level_two_waits_for_the_grace_period(
    legal: Legal, waiting: Consultation
) -> None:
    _escalate(DEADLINE)
    assert _escalate(DEADLINE + timedelta(hours=23, minutes=59)) == 0
    assert _overdue(legal.org.officer) == 0


def test_escalation_level_two_alerts_the_requester_after_the_grace(
    legal: Legal, waiting: Consultation
) -> None:
    _escalate(DEADLINE)
    assert _escalate(DEADLINE + timedelta(hours=24)) == 1
    assert _level(waiting) == 2
    assert _overdue(legal.org.officer) == 1
    assert _overdue(legal.head) == 1
    assert _escalate(DEADLINE + timedelta(days=5)) == 0


def test_escalation_grace_follows_the_setting(
    legal: Legal, waiting: Consultation, settings: Any
) -> None:
    settings.CONSULTATION_ESCALATION_HOURS = 1
    _escalate(DEADLINE)
    assert _escalate(DEADLINE + timedelta(hours=1)) == 1


def test_escalation_missed_ticks_raise_each_level_once(legal: Legal, waiting: Consultation) -> None:
    assert _escalate(DEADLINE + timedelta(days=3)) == 2
    assert (_overdue(legal.head), _overdue(legal.org.officer)) == (1, 1)
    assert _escalate(DEADLINE + timedelta(days=4)) == 0


def test_escalation_silence_never_approves(legal: Legal, waiting: Consultation) -> None:
    _escalate(DEADLINE + timedelta(days=30))
    assert state(waiting.post) == PostState.IN_REVIEW
    with pytest.raises(PermissionDenied, match="waits for the consultation"):
        services.post_approve(post=waiting.post, by=make_user())


def test_escalation_leaves_answered_consultations_alone(
    legal: Legal, waiting: Consultation
) -> None:
    with time_machine.travel(DEADLINE - timedelta(hours=1), tick=False):
        consultations.consultation_answer(
            consultation=waiting, answer="object", comment="Délai faux.", by=legal.jurist
        )
    assert _escalate(DEADLINE + timedelta(days=3)) == 0


def test_escalation_skips_advisory_consultations(legal: Legal) -> None:
    with time_machine.travel(ASKED, tick=False):
        consultation = ask(legal, submitted(legal.org), blocking=False, deadline=DEADLINE)
    assert _escalate(DEADLINE + timedelta(days=3)) == 0
    assert _level(consultation) == 0
    assert consultation.status(DEADLINE) == Consultation.Status.OVERDUE


def test_escalation_skips_cancelled_consultations(legal: Legal, waiting: Consultation) -> None:
    with time_machine.travel(ASKED, tick=False):
        consultations.consultation_cancel(consultation=waiting, by=legal.org.officer)
    assert _escalate(DEADLINE + timedelta(days=3)) == 0


def test_escalation_after_an_edit_starts_a_new_round(legal: Legal, waiting: Consultation) -> None:
    with time_machine.travel(DEADLINE - timedelta(hours=1), tick=False):
        consultations.consultation_answer(
            consultation=waiting, answer="agree", comment="", by=legal.jurist
        )
    with time_machine.travel(DEADLINE + timedelta(hours=1), tick=False):
        services.post_update(
            post=waiting.post, by=legal.org.officer, base_revision=1, text="Mardi.", language="fr"
        )
    assert _escalate(DEADLINE + timedelta(hours=2)) == 1
    assert _overdue(legal.head) == 1


def test_escalation_head_falls_back_to_reviewers(legal: Legal) -> None:
    reviewer = make_user()
    membership_create(user=reviewer, unit=legal.unit, role=Membership.Role.REVIEWER)
    assert consultation_rules.unit_heads(legal.unit) == {legal.head.pk}
    Membership.objects.filter(user=legal.head).delete()
    assert consultation_rules.unit_heads(legal.unit) == {reviewer.pk}


def test_escalation_task_calls_the_service(legal: Legal, waiting: Consultation) -> None:
    with time_machine.travel(DEADLINE, tick=False):
        tasks.escalate_consultations()
    assert _level(waiting) == 1

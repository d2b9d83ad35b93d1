"""Consultation of the units concerned: every write on consultations, and their reads.

A reviewer or the author asks other units about a post, blocking or advisory, with a deadline.
Answers are bound to the revision they cover, like approvals. A blocking consultation holds a
complete approval chain until the unit agrees on the current revision; silence never counts
as consent: at the deadline the unit's head is alerted, after a grace period the requester.
"""

from __future__ import annotations

from editorial.consultations.services import (
    consultation_answer,
    consultation_cancel,
    consultation_request,
    consultations_escalate_overdue,
    consultations_override,
    escalation_grace,
)
from editorial.policies.consultations import (
    ANSWERABLE_STATES,
    ASKABLE_STATES,
    answer_refusal,
    ask_refusal,
    cancel_refusal,
    unit_heads,
    unit_members,
)
from editorial.selectors.consultations import (
    ConsultationRow,
    consultation_get_for,
    consultation_queue,
    consultation_rows,
    consultations_of,
)

__all__ = [
    "ANSWERABLE_STATES",
    "ASKABLE_STATES",
    "ConsultationRow",
    "answer_refusal",
    "ask_refusal",
    "cancel_refusal",
    "consultation_answer",
    "consultation_cancel",
    "consultation_get_for",
    "consultation_queue",
    "consultation_request",
    "consultation_rows",
    "consultations_escalate_overdue",
    "consultations_of",
    "consultations_override",
    "escalation_grace",
    "unit_heads",
    "unit_members",
]

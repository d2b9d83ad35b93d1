"""Posts, their immutable revisions, approvals, consultations and the audit trail.

One module per topic; every model and public name is re-exported here, so
``from editorial.models import Post`` works and Django finds every model (app label
``editorial``, tables unchanged). Each submodule imports the models it points at itself,
so the order of the imports below does not matter.
"""

from __future__ import annotations

from editorial.models.audit import EVENT_VERBS, AuditChainHead, AuditEvent
from editorial.models.comments import Comment
from editorial.models.consultations import Consultation, ConsultationQuerySet
from editorial.models.freezes import Freeze
from editorial.models.notifications import Notification, NotificationPreference
from editorial.models.posthoc import PostHocReview
from editorial.models.posts import HoldWords, Post, hold_words
from editorial.models.review import Approval, ApprovalPolicy, ApprovalStep, RescheduleRule
from editorial.models.revisions import Revision, RevisionMedia
from editorial.models.states import (
    AUTHOR_EDITABLE_STATES,
    EDITABLE_STATES,
    REVIEWED_STATES,
    TIER_ORDER,
    WITHDRAWABLE_STATES,
    PostState,
    PostTier,
)
from editorial.models.waivers import Waiver

__all__ = [
    "AUTHOR_EDITABLE_STATES",
    "EDITABLE_STATES",
    "EVENT_VERBS",
    "REVIEWED_STATES",
    "TIER_ORDER",
    "WITHDRAWABLE_STATES",
    "Approval",
    "ApprovalPolicy",
    "ApprovalStep",
    "AuditChainHead",
    "AuditEvent",
    "Comment",
    "Consultation",
    "ConsultationQuerySet",
    "Freeze",
    "HoldWords",
    "Notification",
    "NotificationPreference",
    "Post",
    "PostHocReview",
    "PostState",
    "PostTier",
    "RescheduleRule",
    "Revision",
    "RevisionMedia",
    "Waiver",
    "hold_words",
]

"""Every write on posts and what hangs off them, one module per job. One writer per state change.

Each service locks the post row, checks the transition's guard (state, conditions and
permission, four-eyes included), changes, and appends the audit event, in one transaction
(the kernel is ``editorial.workflow``). Views, tasks, the admin and the publisher call these;
nobody calls a transition directly.

The submodules are imported in dependency order (each imports only those above it), so
``from editorial import services`` then ``services.post_approve(...)`` works, as does
``from editorial.services import urgent``.
"""

from __future__ import annotations

# isort: off
from editorial.policies.freezes import may_freeze, organisation_admin
from editorial.services import notifications
from editorial.services.revisions import MAX_THREAD_PARTS, MediaInput, speaking_unit
from editorial.services.review import post_approve, post_request_changes, post_submit
from editorial.services.scheduling import (
    ScheduleRefused,
    byline_record,
    post_retry,
    post_schedule,
    refuse_unless_fit,
)
from editorial.services.posts import (
    REASON_MIN_LENGTH,
    UNCHANGED,
    Unchanged,
    post_create,
    post_retract,
    post_update,
    post_withdraw,
)
from editorial.services.publisher import (
    PostOutcome,
    post_record_late_decision,
    post_record_late_hold,
    post_record_outcome,
    post_record_outcomes,
    post_record_remote_deletion,
    post_start_publishing,
    posts_claim_due,
    posts_hold,
    posts_start_publishing,
)
from editorial.services.freezes import freeze_create, freeze_lift
from editorial.services.notifications import notifications_mark_read
from editorial.services import consultations, urgent, posthoc, waivers, comments, delegations, holds
from editorial.workflow import (
    AlreadyCreated,
    AuditEntry,
    CharterRefused,
    EditConflict,
    EditorialError,
    TransitionRefused,
    audit,
    audit_many,
    audit_record,
    may,
)

# isort: on

__all__ = [
    "MAX_THREAD_PARTS",
    "REASON_MIN_LENGTH",
    "UNCHANGED",
    "AlreadyCreated",
    "AuditEntry",
    "CharterRefused",
    "EditConflict",
    "EditorialError",
    "MediaInput",
    "PostOutcome",
    "ScheduleRefused",
    "TransitionRefused",
    "Unchanged",
    "audit",
    "audit_many",
    "audit_record",
    "byline_record",
    "comments",
    "consultations",
    "delegations",
    "freeze_create",
    "freeze_lift",
    "holds",
    "may",
    "may_freeze",
    "notifications",
    "notifications_mark_read",
    "organisation_admin",
    "post_approve",
    "post_create",
    "post_record_late_decision",
    "post_record_late_hold",
    "post_record_outcome",
    "post_record_outcomes",
    "post_record_remote_deletion",
    "post_request_changes",
    "post_retract",
    "post_retry",
    "post_schedule",
    "post_start_publishing",
    "post_submit",
    "post_update",
    "post_withdraw",
    "posthoc",
    "posts_claim_due",
    "posts_hold",
    "posts_start_publishing",
    "refuse_unless_fit",
    "speaking_unit",
    "urgent",
    "waivers",
]

"""Reads that depend on who asks, by topic: posts (and the review queue), comments,
consultations, delegations, freezes, notifications, the urgent procedure (what it would
publish past, its post-hoc reviews), waivers. Views fetch through these (404 otherwise);
services never write here.

The public names are re-exported, so ``from editorial import selectors`` then
``selectors.post_get_for(...)`` reads the same as before the package.
"""

from __future__ import annotations

# isort: off
# posts first: consultations reads it.
from editorial.selectors.posts import (
    ChainView,
    QueueItem,
    approval_chain,
    may_see,
    member_unit_ids,
    post_get_for,
    post_history,
    posts_visible_to,
    review_queue,
    visible_account_ids,
)
from editorial.selectors.comments import comments_for
from editorial.selectors.consultations import (
    ConsultationRow,
    consultation_get_for,
    consultation_queue,
    consultation_rows,
    consultations_of,
)
from editorial.selectors.delegations import (
    delegable_units,
    delegation_get_for,
    delegations_given,
    delegations_received,
    deputy_candidates,
)
from editorial.selectors.freezes import (
    FreezeState,
    active_freezes,
    freeze_state,
    freezes_concerning,
    freezes_visible_to,
    without_frozen,
)
from editorial.selectors.notifications import notifications_for, unread_count
from editorial.selectors.urgent import (
    OwedReview,
    blocking_unanswered,
    posthoc_reviews_for,
    posthoc_reviews_of,
    posthoc_reviews_overdue,
)
from editorial.selectors.waivers import (
    WaiverOption,
    WaiverRow,
    current_report,
    month_bounds,
    waiver_options,
    waivers_in_month,
    waivers_of,
)

# isort: on

__all__ = [
    "ChainView",
    "ConsultationRow",
    "FreezeState",
    "OwedReview",
    "QueueItem",
    "WaiverOption",
    "WaiverRow",
    "active_freezes",
    "approval_chain",
    "blocking_unanswered",
    "comments_for",
    "consultation_get_for",
    "consultation_queue",
    "consultation_rows",
    "consultations_of",
    "current_report",
    "delegable_units",
    "delegation_get_for",
    "delegations_given",
    "delegations_received",
    "deputy_candidates",
    "freeze_state",
    "freezes_concerning",
    "freezes_visible_to",
    "may_see",
    "member_unit_ids",
    "month_bounds",
    "notifications_for",
    "post_get_for",
    "post_history",
    "posthoc_reviews_for",
    "posthoc_reviews_of",
    "posthoc_reviews_overdue",
    "posts_visible_to",
    "review_queue",
    "unread_count",
    "visible_account_ids",
    "waiver_options",
    "waivers_in_month",
    "waivers_of",
    "without_frozen",
]

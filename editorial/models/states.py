"""The post's states and tiers, and the groups of states the transitions and services use."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PostState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    # Cancelled before anything was published; kept with its reason, never deleted.
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Deleted from the networks after publication; the record and the reason stay.
    RETRACTED = "retracted", _("Retracted")
    # Taken off the schedule when it fell due (or when an election or a byline changed):
    # the charter's time- or account-dependent rules would now refuse it (editorial.recheck).
    HELD = "held", _("Held by the charter")


class PostTier(models.TextChoices):
    """How delicate a post is; the tier picks which approval steps apply."""

    STANDARD = "standard", _("Standard")
    SENSITIVE = "sensitive", _("Sensitive")
    POLITICAL = "political", _("Political")


TIER_ORDER = [PostTier.STANDARD, PostTier.SENSITIVE, PostTier.POLITICAL]

S = PostState
EDITABLE_STATES = (S.DRAFT, S.CHANGES_REQUESTED)
# Editing these creates a new revision and sends the post back to review (see post_update).
REVIEWED_STATES = (S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.HELD)
AUTHOR_EDITABLE_STATES = (*EDITABLE_STATES, *REVIEWED_STATES)
# Nothing has reached a network yet in these (a failed post may have published on some
# accounts: see _nothing_published).
WITHDRAWABLE_STATES = (*EDITABLE_STATES, *REVIEWED_STATES, S.FAILED)

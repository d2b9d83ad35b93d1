"""The review owed after an urgent publication."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial.models.posts import Post
from editorial.models.revisions import Revision


class PostHocReview(models.Model):
    """The review owed after an urgent publication, by the approvers of the skipped steps.

    Written once by ``editorial.services.urgent.post_publish_urgently``; completed once, by
    any one of the skipped approvers or their deputy, who confirms or objects with a comment.
    """

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        OBJECTED = "objected", _("Objected")

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="posthoc_reviews", verbose_name=_("post")
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="+", verbose_name=_("revision")
    )
    urgent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published urgently by"),
    )
    justification = models.TextField(_("justification"))
    # The steps that were still pending, as they stood: number, name, step id, approver ids.
    skipped_steps = models.JSONField(default=list, verbose_name=_("skipped steps"))
    # Who owes the review: everyone who could approve a skipped step (deputies included).
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("approvers")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    due_at = models.DateTimeField(_("due"), db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("completed by"),
    )
    as_deputy_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("as deputy of"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name_plural = _("post-hoc reviews")
        ordering = ["due_at", "pk"]
        verbose_name = _("post-hoc review")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True, completed_by__isnull=True, outcome="")
                | models.Q(completed_at__isnull=False, completed_by__isnull=False)
                & ~models.Q(outcome=""),
                name="posthoc_review_completed_fully",
            )
        ]

    def __str__(self) -> str:
        return f"post-hoc review of #{self.post_id}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None

    def is_overdue(self, now: Any = None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())

    @property
    def skipped_step_names(self) -> list[str]:
        return [str(s.get("name", "")) for s in self.skipped_steps]

"""Consultations of other units about a post, bound to the revision they answer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from editorial.models.posthoc import PostHocReview
from editorial.models.posts import Post
from editorial.models.revisions import Revision


class ConsultationQuerySet(models.QuerySet["Consultation"]):
    def active(self) -> ConsultationQuerySet:
        return self.filter(cancelled_at__isnull=True)

    def unanswered(self) -> ConsultationQuerySet:
        """Not answered for the post's current revision: an answer covers one revision only.
        An overridden consultation is closed: nobody waits for it, nothing escalates it."""
        return (
            self.active()
            .filter(overridden_at__isnull=True)
            .filter(
                models.Q(answered_revision__isnull=True)
                | ~models.Q(answered_revision=models.F("post__current_revision"))
            )
        )

    def holding(self, post: Post) -> ConsultationQuerySet:
        """Blocking consultations of ``post`` without an agreement on its current revision:
        while one remains, a complete approval chain does not approve the post."""
        agreed = models.Q(
            answer=Consultation.Answer.AGREE, answered_revision_id=post.current_revision_id
        )
        return (
            self.active()
            .filter(post=post, blocking=True, overridden_at__isnull=True)
            .exclude(agreed)
        )


class Consultation(models.Model):
    """A question to another unit about a post: blocking or advisory, with a deadline.

    The answer is bound to the revision it covers (``answered_revision``); after an edit the
    unit answers again. Rows are never deleted: a withdrawn request keeps its row, cancelled.
    """

    class Answer(models.TextChoices):
        AGREE = "agree", _("Agree")
        OBJECT = "object", _("Object")

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting for an answer")
        OVERDUE = "overdue", _("overdue")
        AGREED = "agreed", _("agreed")
        OBJECTED = "objected", _("objected")
        TO_ANSWER_AGAIN = "to_answer_again", _("to answer again (new revision)")
        CANCELLED = "cancelled", _("cancelled")
        OVERRIDDEN = "overridden", _("overridden by the urgent procedure")

    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="consultations", verbose_name=_("post")
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="+", verbose_name=_("revision")
    )
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("consulted unit"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    question = models.TextField(_("question"))
    blocking = models.BooleanField(_("blocking"), default=True)
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    answer = models.CharField(_("answer"), max_length=8, choices=Answer.choices, blank=True)
    comment = models.TextField(_("comment on facts"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))
    answered_revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revision answered"),
    )
    # 0: nobody alerted; 1: the consulted unit's head, at the deadline; 2: the requester.
    escalation_level = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("escalation level")
    )
    escalated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("escalated at"))
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cancelled at"))
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    # Closed unanswered by the urgent procedure (``editorial.services.urgent``): the post-hoc review
    # that publication opened says who published it, when, and why it could not wait.
    overridden_at = models.DateTimeField(null=True, blank=True, verbose_name=_("overridden at"))
    overridden_by_urgent = models.ForeignKey(
        PostHocReview,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="overridden_consultations",
        verbose_name=_("overridden by the urgent procedure"),
    )

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name_plural = _("consultations")
        ordering = ["post", "created_at", "pk"]
        verbose_name = _("consultation")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "unit"],
                condition=models.Q(cancelled_at__isnull=True),
                name="one_open_consultation_per_unit",
            ),
            models.CheckConstraint(
                condition=~models.Q(answer="object") | ~models.Q(comment=""),
                name="consultation_objection_has_comment",
            ),
            models.CheckConstraint(
                condition=models.Q(overridden_at__isnull=True, overridden_by_urgent__isnull=True)
                | models.Q(overridden_at__isnull=False, overridden_by_urgent__isnull=False),
                name="consultation_overridden_fully",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.post_id} → {self.unit_id}"

    @property
    def answers_current(self) -> bool:
        return (
            self.answered_revision_id is not None
            and self.answered_revision_id == self.post.current_revision_id
        )

    @property
    def is_overridden(self) -> bool:
        return self.overridden_at is not None

    @property
    def answered_late(self) -> bool:
        """Answered after the urgent procedure overrode it (the unit may still say so once)."""
        return (
            self.overridden_at is not None
            and self.answered_at is not None
            and self.answered_at >= self.overridden_at
            and self.answers_current
        )

    @property
    def holds(self) -> bool:
        """Whether it keeps the post from being approved now (blocking, no agreement)."""
        agreed = self.answers_current and self.answer == self.Answer.AGREE
        return self.blocking and self.cancelled_at is None and not self.is_overridden and not agreed

    def is_overdue(self, now: Any = None) -> bool:
        if self.cancelled_at is not None or self.is_overridden or self.answers_current:
            return False
        return bool(self.deadline <= (now or timezone.now()))

    def status(self, now: Any = None) -> Consultation.Status:
        if self.cancelled_at is not None:
            return self.Status.CANCELLED
        if self.is_overridden:
            # Terminal: a late answer shows beside it, it does not reopen the consultation.
            return self.Status.OVERRIDDEN
        if self.answers_current:
            return self.Status.AGREED if self.answer == self.Answer.AGREE else self.Status.OBJECTED
        if self.answered_revision_id is not None:
            return self.Status.TO_ANSWER_AGAIN
        return self.Status.OVERDUE if self.is_overdue(now) else self.Status.WAITING

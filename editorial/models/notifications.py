"""In-app notifications (the e-mail outbox too) and how each member wants to hear of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial.failures import FailureWords, failures_of
from editorial.models.posts import HoldWords, Post, hold_words


class Notification(models.Model):
    """One line of a member's in-app notification list, written with the change it reports.

    The headline comes from ``kind`` (translated when shown); ``message`` holds the detail in
    the words it was given (a reviewer's comment, the publisher's error).
    """

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted to you for review")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Publication failed")
        WITHDRAWN = "withdrawn", _("Withdrawn before publication")
        RETRACTED = "retracted", _("Retracted after publication")
        MENTIONED = "mentioned", _("Mentioned in a comment")
        HELD_LATE = "held_late", _("Too late: confirm or cancel the publication")
        POSTHOC_DUE = "posthoc_due", _("Post-hoc review due")
        POSTHOC_OBJECTED = "posthoc_objected", _("Objection in a post-hoc review")
        CONSULTATION_REQUESTED = "consultation_requested", _("Consultation asked of your unit")
        CONSULTATION_ANSWERED = "consultation_answered", _("Consultation answered")
        CONSULTATION_OVERDUE = "consultation_overdue", _("Consultation overdue")
        WAIVER_GRANTED = "waiver_granted", _("Charter finding waived")
        CHARTER_HOLD = "charter_hold", _("Held by the charter: change it or schedule it again")
        POSTHOC_CONFIRMED = "posthoc_confirmed", _("Post-hoc review confirmed")
        READY_TO_SCHEDULE = "ready_to_schedule", _("Approved and cleared: ready to schedule")
        REREVIEW = "rereview", _("Changed since approval: review it again")
        CONSULTATION_OVERRIDDEN = (
            "consultation_overridden",
            _("Published urgently before your unit answered"),
        )
        MOVED_TO_REVIEW = (
            "moved_to_review",
            _("Moved to another time: back in review"),
        )

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    post = models.ForeignKey(
        Post,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("post"),
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    message = models.TextField(blank=True, verbose_name=_("message"))
    # What rebuilds ``message`` in the reader's language, for the kinds that have it: a
    # charter hold stores its verdict (``recheck.Verdict.record``), read by ``hold``.
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("E-mail waiting to be sent")
        SENDING = "sending", _("E-mail being sent")
        SENT = "sent", _("E-mail sent")
        NOT_WANTED = "not_wanted", _("No e-mail wanted")
        FAILED = "failed", _("E-mail not sent")

    # The e-mail's delivery, owned by ``editorial.email_delivery`` (a worker, never the
    # request): the row is the outbox, so a lost task or a dead worker loses no e-mail.
    email_status = models.CharField(
        max_length=16,
        choices=EmailStatus.choices,
        default=EmailStatus.PENDING,
        verbose_name=_("e-mail status"),
    )
    email_attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("e-mail attempts"))
    # Pending: not tried again before this (backoff after a transient failure).
    email_retry_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mail retry at"))
    # Sending: when the worker claimed it; a claim this old is a dead worker's (the sweep).
    email_claimed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("e-mail claimed at")
    )
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mailed at"))
    email_error = models.TextField(blank=True, verbose_name=_("e-mail error"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # The sweep reads the few rows still in flight, never the whole history.
            models.Index(
                fields=["email_status", "created_at"],
                condition=models.Q(email_status__in=["pending", "sending"]),
                name="notification_email_inflight",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def charter_hold(self) -> HoldWords | None:
        return hold_words(self.data) if self.kind == self.Kind.CHARTER_HOLD else None

    @property
    def failures(self) -> list[FailureWords]:
        """For a failed publication: why, per account, in the reader's language."""
        if self.kind != self.Kind.FAILED:
            return []
        return failures_of(self.data.get("failures", []))


class NotificationPreference(models.Model):
    """How one member wants to hear of things outside the app. No row: every email is sent.

    Kinds are stored as the ones *not* emailed, so a kind added later is emailed by default.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    # Kinds (Notification.Kind values) the member does not want by email.
    email_muted = models.JSONField(default=list, blank=True, verbose_name=_("e-mails muted"))
    # The language of their emails; empty: the site's (settings.LANGUAGE_CODE).
    language = models.CharField(
        _("language of emails"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name_plural = _("notification preferences")
        verbose_name = _("notification preference")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"

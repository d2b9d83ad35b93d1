"""Publishing freezes, per account or for the whole organisation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import SocialAccount


class Freeze(models.Model):
    """Publishing stopped on one account, or on every account when ``account`` is empty.

    Scheduled posts stay scheduled while a freeze is active; the scheduler passes over them
    until it is lifted. Rows are never deleted: lifted freezes are the history.
    """

    account = models.ForeignKey(
        SocialAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="freezes",
        verbose_name=_("social account"),
    )
    reason = models.TextField(_("reason"))
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("frozen by"),
    )
    frozen_at = models.DateTimeField(default=timezone.now, verbose_name=_("frozen at"))
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lifted_at = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name=_("lifted at")
    )

    class Meta:
        verbose_name_plural = _("freezes")
        ordering = ["-frozen_at", "-pk"]
        verbose_name = _("freeze")
        # Freezing every account is for the organisation's own administrators, not for the
        # administrator of one ministry among several
        # (editorial.policies.freezes.organisation_admin).
        permissions = [
            ("freeze_organisation", "Can freeze and lift publishing for the whole organisation")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | models.Q(lifted_at__isnull=False, lifted_by__isnull=False),
                name="freeze_lifted_by_and_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.target} ({self.frozen_at:%Y-%m-%d %H:%M})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    @property
    def target(self) -> str:
        return str(self.account) if self.account_id else str(_("the whole organisation"))

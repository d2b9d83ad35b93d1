"""Charter findings waived on one revision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from charter.waivers import WaiverCategory
from editorial.models.posts import Post
from editorial.models.revisions import Revision


class Waiver(models.Model):
    """A charter rule lifted on one revision, by someone with the waive right who is not the
    author, with a category and a written reason (``editorial.services.waivers``).

    Bound to the revision: an edit makes a new revision that the waiver does not cover, so a
    waiver is never deleted nor edited; the history shows it voided by the next revision.
    """

    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="waivers", verbose_name=_("post")
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="waivers", verbose_name=_("revision")
    )
    rule = models.CharField(_("rule"), max_length=64)
    category = models.CharField(_("category"), max_length=16, choices=WaiverCategory.choices)
    justification = models.TextField(_("justification"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by"),
    )
    # The content the waiver was given for (the revision's hash when it was granted).
    content_hash = models.CharField(max_length=64, verbose_name=_("content hash"))
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("created at")
    )

    class Meta:
        verbose_name_plural = _("waivers")
        ordering = ["created_at", "pk"]
        verbose_name = _("waiver")
        constraints = [
            models.UniqueConstraint(fields=["revision", "rule"], name="unique_waiver_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.rule} r{self.revision_id} ({self.category})"

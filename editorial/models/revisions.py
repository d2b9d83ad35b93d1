"""A post's immutable revisions and their images."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from editorial.models.posts import Post
from editorial.models.text_search import FrenchVector
from editorial.networks import NetworkOptions, ReplyGate, SelfLabel, Visibility


class Revision(models.Model):
    """One immutable version of a post's content. Edits create a new revision."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("post")
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, default="fr")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    content_hash = models.CharField(max_length=64, editable=False, verbose_name=_("content hash"))
    # The publication time the author asked for, as approved (part of the content hash).
    requested_publish_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("requested publication time")
    )
    # The charter's verdict on this revision at submission, and which version gave it.
    check_report = models.JSONField(
        default=dict, blank=True, verbose_name=_("charter check report")
    )
    # What else the content hash covered, kept so the history can show what changed between
    # revisions; empty on revisions saved before these were recorded.
    tier = models.CharField(_("tier"), max_length=16, blank=True)
    accounts_record = models.JSONField(
        default=list, blank=True, verbose_name=_("accounts as approved")
    )  # [{"id": …, "name": …}]
    # Nothing may go out before this time (a press embargo); the charter checks the schedule.
    embargo_until = models.DateTimeField(_("embargo until"), null=True, blank=True)
    # Where the figures in the text come from (a study, a dataset, a report).
    source = models.TextField(_("source of the figures"), blank=True)
    # The following parts of a thread (the text is the first part), each published as a reply
    # to the one before; the byline goes into the last part. Covered by the content hash.
    thread = models.JSONField(_("thread"), default=list, blank=True)
    # Per-network options (editorial.networks), covered by the content hash.
    variants = models.JSONField(_("per-network versions"), default=dict, blank=True)
    mastodon_visibility = models.CharField(
        _("Mastodon visibility"),
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
    )
    spoiler_text = models.CharField(_("content warning"), max_length=500, blank=True)
    sensitive = models.BooleanField(_("media marked sensitive"), default=False)
    bluesky_label = models.CharField(
        _("Bluesky label"), max_length=16, choices=SelfLabel.choices, blank=True
    )
    reply_gate = models.CharField(
        _("who may reply on Bluesky"), max_length=16, choices=ReplyGate.choices, blank=True
    )
    # The French full-text vector of the text, written by the database with the row (a
    # generated column: never out of step with the text, never written by Django). The search
    # page filters and ranks on it; its GIN index is migration 0029's (PostgreSQL only).
    text_search = models.GeneratedField(
        expression=FrenchVector(models.F("text")),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("text as searched"),
    )

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} r{self.number}"

    def compute_hash(
        self, *, account_ids: list[int], media: list[dict[str, Any]], tier: str
    ) -> str:
        """What an approval covers: text, language, media with alt texts, accounts, the
        requested schedule, tier, embargo and source, and the per-network versions and
        options."""
        content: dict[str, Any] = {
            "text": self.text,
            "language": self.language,
            "accounts": sorted(account_ids),
            "media": media,
            "tier": tier,
            "networks": {
                "variants": self.variants or {},
                "visibility": self.mastodon_visibility,
                "spoiler_text": self.spoiler_text,
                "sensitive": self.sensitive,
                "self_label": self.bluesky_label,
                "reply_gate": self.reply_gate,
            },
        }
        if self.requested_publish_at is not None:
            # Only when set, so revisions without a requested time keep their hash.
            content["schedule"] = self.requested_publish_at.isoformat()
        # Only when set, so revisions saved before these fields existed keep their hash.
        if self.embargo_until is not None:
            content["embargo_until"] = self.embargo_until.isoformat()
        if self.source:
            content["source"] = self.source
        if self.thread:
            content["thread"] = list(self.thread)
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def text_for(self, network: str) -> str:
        """The body sent to ``network``: its variant if the author wrote one, else the text."""
        return str((self.variants or {}).get(network) or self.text)

    @property
    def network_options(self) -> NetworkOptions:
        return NetworkOptions(
            variants=dict(self.variants or {}),
            visibility=self.mastodon_visibility,
            spoiler_text=self.spoiler_text,
            sensitive=self.sensitive,
            self_label=self.bluesky_label,
            reply_gate=self.reply_gate,
        )

    @property
    def has_network_options(self) -> bool:
        return self.network_options != NetworkOptions()


class RevisionMedia(models.Model):
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="media", verbose_name=_("revision")
    )
    file = models.FileField(upload_to="posts/%Y/%m/", verbose_name=_("file"))
    alt_text = models.TextField(_("alt text"), blank=True)
    mime_type = models.CharField(max_length=100, verbose_name=_("MIME type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    # Mastodon's focal point for cropped previews, -1..1 from the centre (x right, y up).
    focus_x = models.FloatField(null=True, blank=True, verbose_name=_("focus (horizontal)"))
    focus_y = models.FloatField(null=True, blank=True, verbose_name=_("focus (vertical)"))

    class Meta:
        verbose_name = _("image of a revision")
        verbose_name_plural = _("images of revisions")
        ordering = ["revision", "position"]

    @property
    def focus(self) -> tuple[float, float] | None:
        if self.focus_x is None or self.focus_y is None:
            return None
        return (self.focus_x, self.focus_y)

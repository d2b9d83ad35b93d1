"""The publication outbox: one row per post and account, the single record of every attempt.

The row is created when the post falls due, with its text and byline frozen. Before the first
send the adapter's exact payload (Bluesky record key and record, Mastodon idempotency key) is
stored, so a retry, a redelivered task or a reclaimed crash sends the same request again and
the network answers with the same post.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import crypto
from accounts.models import SocialAccount
from editorial.models import Post


class PublicationState(models.TextChoices):
    # A later part of a thread: it becomes pending once the part before it is published.
    WAITING = "waiting", _("Waits for the previous part")
    PENDING = "pending", _("Waiting")  # due at next_attempt_at
    # Handed to the broker at queued_at, to run at next_attempt_at (at most a lookahead later).
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")  # claimed by a worker at claimed_at
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    # Later than the account's limit (an outage, a long freeze): a publisher must confirm it
    # still makes sense before it goes out, or cancel it.
    HELD = "held", _("Needs re-confirmation")


class DeletionState(models.TextChoices):
    """A retraction's progress on one network; empty while nobody asked for one."""

    NONE = "", _("Not asked")
    PENDING = "pending", _("Waiting")
    DELETING = "deleting", _("Deleting")
    DELETED = "deleted", _("Deleted")
    FAILED = "failed", _("Deletion failed")


class Publication(models.Model):
    # Also the Mastodon Idempotency-Key: stable across every attempt.
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier")
    )
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="publications", verbose_name=_("post")
    )
    account = models.ForeignKey(
        SocialAccount,
        on_delete=models.PROTECT,
        related_name="publications",
        verbose_name=_("account"),
    )
    # The part of a thread (0: the post itself); each part is its own idempotent unit.
    part = models.PositiveSmallIntegerField(default=0, verbose_name=_("part"))
    state = models.CharField(
        max_length=16,
        choices=PublicationState.choices,
        default=PublicationState.PENDING,
        verbose_name=_("state"),
    )
    text = models.TextField(
        help_text=_("The exact text sent, byline included."), verbose_name=_("text")
    )
    byline = models.CharField(max_length=200, verbose_name=_("byline"))
    language = models.CharField(max_length=8, verbose_name=_("language"))
    # Who speaks and who answers for it, copied from the post when it fell due.
    byline_record = models.JSONField(default=dict, verbose_name=_("byline record"))
    # The human who scheduled: the worker acts on their behalf and never invents a user.
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    due_at = models.DateTimeField(verbose_name=_("due at"))
    payload = models.JSONField(null=True, blank=True, editable=False, verbose_name=_("payload"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(db_index=True, verbose_name=_("next attempt at"))
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    # The worker process that claimed it (``WorkerHeartbeat.worker``): when that worker stops
    # beating, the claim no longer holds the account's concurrency and is reclaimed.
    claimed_by = models.CharField(max_length=200, blank=True, verbose_name=_("claimed by"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    # Why it failed, for people: a ``publishing.adapters.base.Reason`` code and what its words
    # need (a limit, who cancelled). ``last_error`` keeps the server's own words.
    last_error_reason = models.CharField(
        max_length=32, blank=True, verbose_name=_("last error reason")
    )
    last_error_params = models.JSONField(
        default=dict, blank=True, verbose_name=_("last error details")
    )
    remote_id = models.CharField(max_length=300, blank=True, verbose_name=_("remote identifier"))
    remote_url = models.URLField(max_length=500, blank=True, verbose_name=_("remote URL"))
    # Bluesky's record CID: the strong reference the next part of a thread replies to.
    remote_cid = models.CharField(max_length=200, blank=True, verbose_name=_("remote CID"))
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))
    # Who said a late publication may still go out (it is then never held again).
    late_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("late publication confirmed by"),
    )
    late_confirmed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("late publication confirmed at")
    )
    # Retraction (the post was retracted after publication): the same outbox habits as the
    # send, a conditional claim, bounded retries with backoff and a sweeper for lost work.
    deletion_state = models.CharField(
        max_length=16,
        choices=DeletionState.choices,
        default=DeletionState.NONE,
        blank=True,
        verbose_name=_("deletion state"),
    )
    deletion_attempts = models.PositiveIntegerField(default=0, verbose_name=_("deletion attempts"))
    deletion_next_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("next deletion attempt at")
    )
    deletion_claimed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("deletion claimed at")
    )
    deletion_error = models.TextField(blank=True, verbose_name=_("deletion error"))
    deleted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("deleted at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "account", "part"], name="one_publication_per_account_part"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["deletion_state", "deletion_next_at"]),
        ]

    def __str__(self) -> str:
        part = f" part {self.part + 1}" if self.part else ""
        return f"{self.post_id}{part} → {self.account} ({self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in {PublicationState.PUBLISHED, PublicationState.FAILED}


class Attempt(models.Model):
    """One send, whatever its outcome: the audit of the network side."""

    class Outcome(models.TextChoices):
        PUBLISHED = "published", _("Published")
        TRANSIENT = "transient", _("Transient error")
        PERMANENT = "permanent", _("Permanent error")
        # The request may have reached the server (timeout, lost answer, 5xx, a worker that
        # died mid-send): the next attempt looks the post up before sending again.
        UNKNOWN = "unknown", _("Unknown outcome")

    publication = models.ForeignKey(
        Publication,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("publication"),
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))
    outcome = models.CharField(max_length=16, choices=Outcome.choices, verbose_name=_("outcome"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    # When the server's answer accepting the post came back (published attempts only):
    # lateness is measured from the publication's due time to this moment.
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    # Published by an earlier attempt whose answer was lost: found by lookup, nothing sent.
    found_by_lookup = models.BooleanField(default=False, verbose_name=_("found by lookup"))
    finished_at = models.DateTimeField(auto_now_add=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["publication", "number"]


class WorkerHeartbeat(models.Model):
    """A worker process's last sign of life, written by a thread of the process every
    PUBLISH_WORKER_HEARTBEAT_SECONDS and by each of its claims. A claim whose worker has not
    beaten for PUBLISH_WORKER_DEAD_SECONDS belongs to a dead process (killed, out of memory,
    its machine gone): the tick reclaims it long before PUBLISH_SENDING_STALE_SECONDS."""

    # host:pid:random, so that a restarted process with a reused pid is another worker.
    worker = models.CharField(max_length=200, primary_key=True, verbose_name=_("worker"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    beat_at = models.DateTimeField(db_index=True, verbose_name=_("last beat at"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker} ({self.beat_at:%H:%M:%S})"


class MastodonApp(models.Model):
    """Porte-voix registered on one Mastodon instance (once per instance and redirect URI)."""

    instance_url = models.URLField(verbose_name=_("server URL"))
    redirect_uri = models.URLField(verbose_name=_("redirect URI"))
    client_id = models.CharField(max_length=200, verbose_name=_("client identifier"))
    client_secret_encrypted = models.TextField(
        editable=False, verbose_name=_("client secret (encrypted)")
    )
    scopes = models.CharField(max_length=200, verbose_name=_("scopes"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("Mastodon application")
        verbose_name_plural = _("Mastodon applications")
        constraints = [
            models.UniqueConstraint(
                fields=["instance_url", "redirect_uri"], name="one_app_per_instance"
            )
        ]

    def __str__(self) -> str:
        return self.instance_url

    def set_client_secret(self, secret: str) -> None:
        self.client_secret_encrypted = crypto.encrypt(secret)

    def get_client_secret(self) -> str:
        return crypto.decrypt(self.client_secret_encrypted)

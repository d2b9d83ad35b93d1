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
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="publications")
    account = models.ForeignKey(
        SocialAccount, on_delete=models.PROTECT, related_name="publications"
    )
    # The part of a thread (0: the post itself); each part is its own idempotent unit.
    part = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(
        max_length=16, choices=PublicationState.choices, default=PublicationState.PENDING
    )
    text = models.TextField(help_text=_("The exact text sent, byline included."))
    byline = models.CharField(max_length=200)
    language = models.CharField(max_length=8)
    # Who speaks and who answers for it, copied from the post when it fell due.
    byline_record = models.JSONField(default=dict)
    # The human who scheduled: the worker acts on their behalf and never invents a user.
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField()
    payload = models.JSONField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The worker process that claimed it (``WorkerHeartbeat.worker``): when that worker stops
    # beating, the claim no longer holds the account's concurrency and is reclaimed.
    claimed_by = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    # Why it failed, for people: a ``publishing.adapters.base.Reason`` code and what its words
    # need (a limit, who cancelled). ``last_error`` keeps the server's own words.
    last_error_reason = models.CharField(max_length=32, blank=True)
    last_error_params = models.JSONField(default=dict, blank=True)
    remote_id = models.CharField(max_length=300, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    # Bluesky's record CID: the strong reference the next part of a thread replies to.
    remote_cid = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Who said a late publication may still go out (it is then never held again).
    late_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    late_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Retraction (the post was retracted after publication): the same outbox habits as the
    # send, a conditional claim, bounded retries with backoff and a sweeper for lost work.
    deletion_state = models.CharField(
        max_length=16, choices=DeletionState.choices, default=DeletionState.NONE, blank=True
    )
    deletion_attempts = models.PositiveIntegerField(default=0)
    deletion_next_at = models.DateTimeField(null=True, blank=True)
    deletion_claimed_at = models.DateTimeField(null=True, blank=True)
    deletion_error = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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
        Publication, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    # When the server's answer accepting the post came back (published attempts only):
    # lateness is measured from the publication's due time to this moment.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Published by an earlier attempt whose answer was lost: found by lookup, nothing sent.
    found_by_lookup = models.BooleanField(default=False)
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["publication", "number"]


class WorkerHeartbeat(models.Model):
    """A worker process's last sign of life, written by a thread of the process every
    PUBLISH_WORKER_HEARTBEAT_SECONDS and by each of its claims. A claim whose worker has not
    beaten for PUBLISH_WORKER_DEAD_SECONDS belongs to a dead process (killed, out of memory,
    its machine gone): the tick reclaims it long before PUBLISH_SENDING_STALE_SECONDS."""

    # host:pid:random, so that a restarted process with a reused pid is another worker.
    worker = models.CharField(max_length=200, primary_key=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker} ({self.beat_at:%H:%M:%S})"


class MastodonApp(models.Model):
    """Porte-voix registered on one Mastodon instance (once per instance and redirect URI)."""

    instance_url = models.URLField()
    redirect_uri = models.URLField()
    client_id = models.CharField(max_length=200)
    client_secret_encrypted = models.TextField(editable=False)
    scopes = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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

"""Posts, their immutable revisions, approvals and the audit trail.

The post's life is a django-fsm state machine. Transitions carry their guards (source state,
conditions, permission); only ``editorial.services`` calls them, inside a transaction that also
writes the audit event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts import permissions
from accounts.models import OrgUnit, SocialAccount
from editorial.audit import GENESIS_HASH


class PostState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")


S = PostState
EDITABLE_STATES = (S.DRAFT, S.CHANGES_REQUESTED)


# Guards receive the model and user as django-fsm passes them (typed loosely there).
def _post(instance: models.Model) -> Post:
    assert isinstance(instance, Post)
    return cast("Post", instance)


def _is_author(post: Post, user: Any) -> bool:
    return bool(post.author_id == user.pk)


def _holds(user: Any, perm: permissions.Perm, post: Post) -> bool:
    return all(permissions.can(user, perm, account) for account in post.accounts.all())


def _may_edit(instance: models.Model, user: Any) -> bool:
    post = _post(instance)
    return _is_author(post, user) and _holds(user, permissions.Perm.DRAFT, post)


def _may_review(instance: models.Model, user: Any) -> bool:
    post = _post(instance)
    # Four-eyes by construction: the author never reviews their own post, whatever their roles.
    return not _is_author(post, user) and _holds(user, permissions.Perm.REVIEW, post)


def _may_publish(instance: models.Model, user: Any) -> bool:
    return _holds(user, permissions.Perm.PUBLISH, _post(instance))


def _has_accounts(instance: models.Model) -> bool:
    return _post(instance).accounts.exists()


def _has_revision(instance: models.Model) -> bool:
    return _post(instance).current_revision_id is not None


class Post(ConcurrentTransitionMixin, models.Model):
    state = FSMField(_("state"), default=S.DRAFT, choices=S.choices, protected=True, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    # The unit that speaks: frozen at creation so a later transfer does not rewrite bylines.
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="posts")
    accounts = models.ManyToManyField(SocialAccount, related_name="posts")
    current_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the author asks for; None means as soon as approved.
    requested_publish_at = models.DateTimeField(
        _("requested publication time"), null=True, blank=True
    )
    scheduled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Frozen at scheduling: who speaks, who approved, under which charter (see services).
    byline_record = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    # Reported by the publisher when the post is done: account, state and public link.
    remote_links = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["state", "scheduled_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.state})"

    @property
    def title(self) -> str:
        text = self.current_revision.text if self.current_revision else ""
        return (text[:60] + "…") if len(text) > 60 else text

    # --- transitions: bodies stay empty; services do the work around them ------------------
    @transition(
        field=state,
        source=EDITABLE_STATES,
        target=S.IN_REVIEW,
        conditions=[_has_accounts, _has_revision],
        permission=_may_edit,
    )
    def submit(self) -> None:
        pass

    @transition(field=state, source=S.IN_REVIEW, target=S.APPROVED, permission=_may_review)
    def approve(self) -> None:
        pass

    @transition(field=state, source=S.IN_REVIEW, target=S.CHANGES_REQUESTED, permission=_may_review)
    def request_changes(self) -> None:
        pass

    @transition(field=state, source=S.APPROVED, target=S.SCHEDULED, permission=_may_publish)
    def schedule(self) -> None:
        pass

    @transition(field=state, source=S.SCHEDULED, target=S.PUBLISHING)
    def start_publishing(self) -> None:
        pass

    @transition(field=state, source=S.PUBLISHING, target=S.PUBLISHED)
    def mark_published(self) -> None:
        pass

    @transition(field=state, source=S.PUBLISHING, target=S.FAILED)
    def mark_failed(self) -> None:
        pass

    @transition(field=state, source=S.FAILED, target=S.SCHEDULED, permission=_may_publish)
    def retry(self) -> None:
        pass


class Revision(models.Model):
    """One immutable version of a post's content. Edits create a new revision."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, default="fr")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    content_hash = models.CharField(max_length=64, editable=False)
    # The charter's verdict on this revision at submission, and which version gave it.
    check_report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} r{self.number}"

    def compute_hash(self, *, account_ids: list[int], media: list[dict[str, Any]]) -> str:
        """What an approval covers: text, language, media with alt texts, accounts."""
        blob = json.dumps(
            {
                "text": self.text,
                "language": self.language,
                "accounts": sorted(account_ids),
                "media": media,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


class RevisionMedia(models.Model):
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="posts/%Y/%m/")
    alt_text = models.TextField(_("alt text"), blank=True)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["revision", "position"]


class Approval(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The hash of exactly what was approved: a later edit cannot inherit this approval.
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["revision", "approver"], name="unique_approval")
        ]


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    revision = models.ForeignKey(Revision, null=True, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class AuditEvent(models.Model):
    """Append-only and hash-chained: services only ever create these (``services._audit``).

    Each event stores the hash of the one before it, so an edited, deleted or inserted row
    breaks the chain and ``manage.py verify_audit`` names it. A database trigger (see
    migration 0002) refuses UPDATE, and on PostgreSQL DELETE, of this table.
    """

    # Strictly increasing, no gaps: the chain's order (not created_at, which clocks can bend).
    seq = models.PositiveBigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    # SHA-256 of the canonical event (``editorial.audit.event_digest``), prev_hash included.
    hash = models.CharField(max_length=64, unique=True)
    post = models.ForeignKey(Post, null=True, on_delete=models.PROTECT, related_name="events")
    # Null for the scheduler: the worker never invents a user; see ``on_behalf_of``.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    # Plain JSON (text, integers, booleans, lists, objects): it is hashed as written.
    data = models.JSONField(default=dict, blank=True)
    # Set before hashing (not auto_now_add) so the hash covers the stored value.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.verb} {self.from_state}→{self.to_state}"

    @property
    def verb_label(self) -> str:
        return str(EVENT_VERBS.get(self.verb, self.verb))

    @property
    def from_label(self) -> str:
        return _state_label(self.from_state)

    @property
    def to_label(self) -> str:
        return _state_label(self.to_state)


def _state_label(value: str) -> str:
    return str(PostState(value).label) if value in PostState.values else value


EVENT_VERBS = {
    "created": _("created"),
    "edited": _("edited"),
    "submitted": _("submitted for review"),
    "approved": _("approved"),
    "changes_requested": _("changes requested"),
    "scheduled": _("scheduled"),
    "retry": _("retry requested"),
    "publishing": _("publication started"),
    "published": _("published"),
    "failed": _("publication failed"),
}


class AuditChainHead(models.Model):
    """The chain's last link, in one row that every append locks.

    Holding this row's lock until commit is what keeps two transactions from both extending
    the same link; it also records the last seq and hash, so a deleted tail shows.
    """

    ROW = 1

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_single_row")
        ]

    def __str__(self) -> str:
        return f"audit head {self.seq} {self.hash[:12]}"

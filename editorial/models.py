"""Posts, their immutable revisions, approvals and the audit trail.

The post's life is a django-fsm state machine. Transitions carry their guards (source state,
conditions, permission); only ``editorial.services`` calls them, inside a transaction that also
writes the audit event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts import permissions
from accounts.models import Membership, OrgUnit, SocialAccount
from charter.waivers import WaiverCategory
from editorial.audit import GENESIS_HASH
from editorial.failures import FailureWords, failures_of
from editorial.networks import NetworkOptions, ReplyGate, SelfLabel, Visibility


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


def _may_approve(instance: models.Model, user: Any) -> bool:
    # The post's approval chain decides (editorial.policies): never the author, at most one
    # step per person, only the open step's approvers (deputies included).
    from editorial import policies

    return policies.may_approve(_post(instance), user)


def _may_request_changes(instance: models.Model, user: Any) -> bool:
    from editorial import policies

    return policies.approves_any_step(_post(instance), user)


def _may_publish(instance: models.Model, user: Any) -> bool:
    return _holds(user, permissions.Perm.PUBLISH, _post(instance))


def _may_withdraw(instance: models.Model, user: Any) -> bool:
    # The author changes their mind; a publisher of every account stops what is queued.
    # Asked of what explains the rights, not of the rows: a deactivated account has none, and
    # its held posts must still be withdrawable by their author and its publishers.
    post = _post(instance)
    accounts = list(post.accounts.all())

    def explained(perm: permissions.Perm) -> bool:
        return all(permissions.explains(user, perm, account) for account in accounts)

    return (_is_author(post, user) and explained(permissions.Perm.DRAFT)) or explained(
        permissions.Perm.PUBLISH
    )


def _published_somewhere(post: Post) -> bool:
    if post.state == S.PUBLISHED:
        return True
    return any(link.get("state") == "published" for link in post.remote_links or [])


def _nothing_published(instance: models.Model) -> bool:
    return not _published_somewhere(_post(instance))


def _something_published(instance: models.Model) -> bool:
    return _published_somewhere(_post(instance))


def _may_publish_urgently(instance: models.Model, user: Any) -> bool:
    # Four-eyes in spirit: the author never skips the review of their own post.
    post = _post(instance)
    return not _is_author(post, user) and _holds(user, permissions.Perm.URGENT, post)


def _has_accounts(instance: models.Model) -> bool:
    return _post(instance).accounts.exists()


def _has_revision(instance: models.Model) -> bool:
    return _post(instance).current_revision_id is not None


@dataclass(frozen=True)
class HoldWords:
    """A charter hold as a reader reads it: the moment judged and one line per problem."""

    moment: datetime | None
    problems: list[str]


def hold_words(record: Mapping[str, Any]) -> HoldWords | None:
    """The problems of a stored verdict (``recheck.Verdict.record``) in the active language.

    They were worded in every language when the post was held (``worded``); a record
    without them (older events) gives its ``problems`` as stored, in the words of whoever
    caused the hold. None for a record with no problems at all.
    """
    worded = record.get("worded") or {}
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    problems = worded.get(language) or worded.get(settings.LANGUAGE_CODE)
    problems = problems or record.get("problems") or []
    if not problems:
        return None
    try:
        moment = datetime.fromisoformat(str(record.get("at", "")))
    except ValueError:
        moment = None
    return HoldWords(moment=moment, problems=[str(p) for p in problems])


class Post(ConcurrentTransitionMixin, models.Model):
    state = FSMField(_("state"), default=S.DRAFT, choices=S.choices, protected=True, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    # The unit that speaks: frozen at creation so a later transfer does not rewrite bylines.
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="posts")
    accounts = models.ManyToManyField(SocialAccount, related_name="posts")
    # Part of the content hash: an approval of a standard post does not cover a political one.
    tier = models.CharField(
        _("tier"), max_length=16, choices=PostTier.choices, default=PostTier.STANDARD
    )
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
    # Accounts (as shown) where the publisher holds the post because it is too late: a
    # publisher confirms or cancels (publishing.services.late).
    held_late = models.JSONField(default=list, blank=True)
    # Why the charter holds the post (state "held"): what the re-check found, in words.
    hold_reason = models.TextField(_("reason held"), blank=True)
    # The same verdict, structured, so each reader reads it in their own language
    # (``charter_hold``): the moment judged, the rule codes, and the problems worded in
    # every language of ``LANGUAGES`` (``recheck.Verdict.record``). ``hold_reason`` stays
    # the fallback for posts held before this existed.
    hold_verdict = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The compose form's one-time token: the same form sent twice (a double click, two tabs)
    # finds the post it already created instead of making a second one. Empty for posts made
    # elsewhere (services called from code).
    creation_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["state", "scheduled_at"])]
        constraints = [
            # Per author: a token another user sent (copied, guessed) never reveals their post.
            models.UniqueConstraint(
                fields=["author", "creation_token"], name="unique_post_creation_token"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.state})"

    @property
    def title(self) -> str:
        text = self.current_revision.text if self.current_revision else ""
        return (text[:60] + "…") if len(text) > 60 else text

    @property
    def charter_hold(self) -> HoldWords | None:
        """Why the charter holds the post, in the reader's language; None when not known
        in that shape (the template then shows ``hold_reason``)."""
        return hold_words(self.hold_verdict)

    @property
    def failures(self) -> list[FailureWords]:
        """Why its publications failed, per account, in the reader's language (empty for a
        post that failed before reasons were recorded: the page shows ``last_error``)."""
        if self.state != S.FAILED:
            return []
        return failures_of(self.remote_links or [])

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

    # The approval that satisfies the chain's last step; the ones before it use approve_step.
    @transition(field=state, source=S.IN_REVIEW, target=S.APPROVED, permission=_may_approve)
    def approve(self) -> None:
        pass

    @transition(field=state, source=S.IN_REVIEW, target=S.IN_REVIEW, permission=_may_approve)
    def approve_step(self) -> None:
        pass

    # The chain was complete and the last blocking consultation now agrees: nobody approves
    # here, the consultation's answer completes what the approvers already did.
    @transition(field=state, source=S.IN_REVIEW, target=S.APPROVED)
    def consultations_cleared(self) -> None:
        pass

    @transition(
        field=state,
        source=S.IN_REVIEW,
        target=S.CHANGES_REQUESTED,
        permission=_may_request_changes,
    )
    def request_changes(self) -> None:
        pass

    # An edit after submission: the new revision goes back to review (earlier approvals were
    # of another content hash), or back to draft when the charter blocks it.
    @transition(field=state, source=REVIEWED_STATES, target=S.IN_REVIEW, permission=_may_edit)
    def reopen(self) -> None:
        pass

    @transition(field=state, source=REVIEWED_STATES, target=S.DRAFT, permission=_may_edit)
    def return_to_draft(self) -> None:
        pass

    # Cancel before publication: the post and its history stay, with the reason.
    @transition(
        field=state,
        source=WITHDRAWABLE_STATES,
        target=S.WITHDRAWN,
        conditions=[_nothing_published],
        permission=_may_withdraw,
    )
    def withdraw(self) -> None:
        pass

    # Delete from the networks after publication (the publisher does the deleting).
    @transition(
        field=state,
        source=(S.PUBLISHED, S.FAILED),
        target=S.RETRACTED,
        conditions=[_something_published],
        permission=_may_publish,
    )
    def retract(self) -> None:
        pass

    # The urgent procedure (editorial.urgent): pending steps are skipped and reviewed afterwards.
    @transition(
        field=state, source=S.IN_REVIEW, target=S.APPROVED, permission=_may_publish_urgently
    )
    def approve_urgently(self) -> None:
        pass

    # A held post is scheduled again once what held it is gone; scheduling re-checks.
    @transition(
        field=state, source=(S.APPROVED, S.HELD), target=S.SCHEDULED, permission=_may_publish
    )
    def schedule(self) -> None:
        pass

    # The re-check at the claim (or after an election was declared, a byline changed) finds
    # that a blocking rule would now refuse the post: nobody acts, nothing is sent.
    @transition(field=state, source=S.SCHEDULED, target=S.HELD)
    def hold(self) -> None:
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
    # The publication time the author asked for, as approved (part of the content hash).
    requested_publish_at = models.DateTimeField(null=True, blank=True)
    # The charter's verdict on this revision at submission, and which version gave it.
    check_report = models.JSONField(default=dict, blank=True)
    # What else the content hash covered, kept so the history can show what changed between
    # revisions; empty on revisions saved before these were recorded.
    tier = models.CharField(_("tier"), max_length=16, blank=True)
    accounts_record = models.JSONField(default=list, blank=True)  # [{"id": …, "name": …}]
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

    class Meta:
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
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="posts/%Y/%m/")
    alt_text = models.TextField(_("alt text"), blank=True)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)
    # Mastodon's focal point for cropped previews, -1..1 from the centre (x right, y up).
    focus_x = models.FloatField(null=True, blank=True)
    focus_y = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["revision", "position"]

    @property
    def focus(self) -> tuple[float, float] | None:
        if self.focus_x is None or self.focus_y is None:
            return None
        return (self.focus_x, self.focus_y)


class ApprovalPolicy(models.Model):
    """An ordered chain of approval steps for a social account or an org unit.

    The most specific policy wins: the account's own, else the nearest unit's going up the
    tree from the account's unit, else the built-in default (``editorial.policies``).
    """

    name = models.CharField(_("name"), max_length=200)
    account = models.OneToOneField(
        SocialAccount,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approval_policy",
        verbose_name=_("social account"),
    )
    unit = models.OneToOneField(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approval_policy",
        verbose_name=_("organisational unit"),
    )

    class Meta:
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(account__isnull=True, unit__isnull=False)
                | models.Q(account__isnull=False, unit__isnull=True),
                name="approval_policy_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (self.account_id is None) == (self.unit_id is None):
            raise ValidationError(_("Attach the policy to one social account or one unit."))


class ApprovalStep(models.Model):
    """One step of a chain: who may approve, how many of them, for which tiers."""

    class Kind(models.TextChoices):
        ROLE_IN_UNIT = "role_in_unit", _("A role in a unit")
        GROUP = "group", _("A group")
        HIERARCHY = "hierarchy", _("The author's hierarchy, N levels up")
        ACCOUNT_REVIEWERS = "account_reviewers", _("Reviewers of every account of the post")
        # Political posts: the speaking unit's administrators or an electoral referent acting
        # for it (charter.ElectoralReferent); the built-in step of the political tier.
        ELECTORAL = "electoral", _("The speaking unit's head or an electoral referent")

    class Mode(models.TextChoices):
        ANY = "any", _("Any one of them")
        ALL = "all", _("All of them")

    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("who approves"), max_length=20, choices=Kind.choices)
    role = models.CharField(_("role"), max_length=16, choices=Membership.Role.choices, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("group"),
    )
    levels_up = models.PositiveSmallIntegerField(
        _("levels up"),
        default=1,
        help_text=_("0 is the speaking unit itself, 1 its parent; capped at the top unit."),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.ANY)
    quorum = models.PositiveSmallIntegerField(
        _("quorum"),
        null=True,
        blank=True,
        help_text=_("How many distinct approvals are needed; empty: one (any) or all."),
    )
    # Tiers where the step applies; an empty list means every tier.
    tiers = models.JSONField(_("tiers"), default=list, blank=True)

    class Meta:
        ordering = ["policy", "order", "pk"]
        verbose_name = _("approval step")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quorum__isnull=True) | models.Q(quorum__gte=1),
                name="approval_step_quorum_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.kind == self.Kind.ROLE_IN_UNIT:
            if not self.role:
                errors["role"] = _("Choose the role that approves.")
            if self.unit_id is None:
                errors["unit"] = _("Choose the unit whose members approve.")
        if self.kind == self.Kind.GROUP and self.group_id is None:
            errors["group"] = _("Choose the group that approves.")
        unknown = [t for t in self.tiers or [] if t not in PostTier.values]
        if unknown:
            errors["tiers"] = _("Unknown tiers: %(tiers)s") % {"tiers": ", ".join(unknown)}
        if errors:
            raise ValidationError(errors)

    def applies_to(self, tier: str) -> bool:
        return not self.tiers or tier in self.tiers


class Approval(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The step approved; None is the built-in default step (one reviewer of every account).
    step = models.ForeignKey(
        ApprovalStep, null=True, blank=True, on_delete=models.PROTECT, related_name="approvals"
    )
    # Set when the approver used a delegation: "approved by X as deputy of Y".
    as_deputy_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
    # Members named with @username who could see the post when it was written (and were told).
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


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
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-frozen_at", "-pk"]
        verbose_name = _("freeze")
        # Freezing every account is for the organisation's own administrators, not for the
        # administrator of one ministry among several (editorial.services.organisation_admin).
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

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    message = models.TextField(blank=True)
    # What rebuilds ``message`` in the reader's language, for the kinds that have it: a
    # charter hold stores its verdict (``recheck.Verdict.record``), read by ``hold``.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("E-mail waiting to be sent")
        SENDING = "sending", _("E-mail being sent")
        SENT = "sent", _("E-mail sent")
        NOT_WANTED = "not_wanted", _("No e-mail wanted")
        FAILED = "failed", _("E-mail not sent")

    # The e-mail's delivery, owned by ``editorial.email_delivery`` (a worker, never the
    # request): the row is the outbox, so a lost task or a dead worker loses no e-mail.
    email_status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # Pending: not tried again before this (backoff after a transient failure).
    email_retry_at = models.DateTimeField(null=True, blank=True)
    # Sending: when the worker claimed it; a claim this old is a dead worker's (the sweep).
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)

    class Meta:
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


class AuditEvent(models.Model):
    """Append-only and hash-chained: services only ever create these (``services._audit``).

    Each event stores the hash of the one before it, so an edited, deleted or inserted row
    breaks the chain and ``manage.py verify_audit`` names it; its signature (``mac``) shows a
    chain rewritten by someone without AUDIT_HMAC_KEY. A database trigger (see
    migration 0002) refuses UPDATE, and on PostgreSQL DELETE, of this table.
    """

    # Strictly increasing, no gaps: the chain's order (not created_at, which clocks can bend).
    seq = models.PositiveBigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    # SHA-256 of the canonical event (``editorial.audit.event_digest``), prev_hash included.
    hash = models.CharField(max_length=64, unique=True)
    # HMAC-SHA256 of seq and hash under AUDIT_HMAC_KEY (``editorial.audit.event_mac``): without
    # the key, a rewritten chain cannot be signed again. Empty on events written before signing
    # began (migration 0023), which the signed event after them vouches for.
    mac = models.CharField(max_length=64, blank=True, default="")
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
    "audit_signing_started": _("audit trail signed from here on"),
    "created": _("created"),
    "edited": _("edited"),
    "submitted": _("submitted for review"),
    "approved": _("approved"),
    "step_approved": _("step approved"),
    "resubmitted": _("sent back to review after an edit"),
    "returned_to_draft": _("back to draft: the charter blocks the edit"),
    "withdrawn": _("withdrawn before publication"),
    "retracted": _("retracted: deleted from the networks"),
    "deleted_remotely": _("deleted on a network"),
    "remote_deletion_failed": _("deletion on a network failed"),
    "changes_requested": _("changes requested"),
    "scheduled": _("scheduled"),
    "retry": _("retry requested"),
    "publishing": _("publication started"),
    "published": _("published"),
    "failed": _("publication failed"),
    "frozen": _("publishing frozen"),
    "unfrozen": _("freeze lifted"),
    "tier_raised": _("tier raised by the charter"),
    "held_late": _("held: later than the account allows"),
    "late_confirmed": _("late publication confirmed"),
    "late_cancelled": _("late publication cancelled"),
    "account_connected": _("social account connected"),
    "account_reconnected": _("social account reconnected"),
    "commented": _("commented"),
    "delegation_created": _("delegation given"),
    "delegation_ended": _("delegation ended"),
    "rights_revoked": _("rights withdrawn"),
    "published_urgently": _("approved at once under the urgent procedure"),
    "posthoc_confirmed": _("post-hoc review: confirmed"),
    "posthoc_objected": _("post-hoc review: objection"),
    "consultation_requested": _("consultation requested"),
    "consultation_answered": _("consultation answered"),
    "consultation_cancelled": _("consultation cancelled"),
    "consultation_escalated": _("consultation overdue: escalated"),
    "consultation_overridden": _("consultation overridden by the urgent procedure"),
    "consultations_cleared": _("approved: the blocking consultations agree"),
    "waiver_granted": _("charter finding waived"),
    "held_by_charter": _("held by the charter: not published"),
    # Access events told by accounts (accounts.signals.security_event).
    "login_locked_out": _("login locked out after repeated failures"),
    "second_factor_enrolled": _("second factor enrolled"),
    "backup_codes_renewed": _("backup codes renewed"),
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


class NotificationPreference(models.Model):
    """How one member wants to hear of things outside the app. No row: every email is sent.

    Kinds are stored as the ones *not* emailed, so a kind added later is emailed by default.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    # Kinds (Notification.Kind values) the member does not want by email.
    email_muted = models.JSONField(default=list, blank=True)
    # The language of their emails; empty: the site's (settings.LANGUAGE_CODE).
    language = models.CharField(
        _("language of emails"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class PostHocReview(models.Model):
    """The review owed after an urgent publication, by the approvers of the skipped steps.

    Written once by ``editorial.urgent.post_publish_urgently``; completed once, by any one of
    the skipped approvers or their deputy, who confirms or objects with a comment.
    """

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        OBJECTED = "objected", _("Objected")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="posthoc_reviews")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    urgent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    justification = models.TextField(_("justification"))
    # The steps that were still pending, as they stood: number, name, step id, approver ids.
    skipped_steps = models.JSONField(default=list)
    # Who owes the review: everyone who could approve a skipped step (deputies included).
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("due"), db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    as_deputy_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
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

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="consultations")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("consulted unit"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("question"))
    blocking = models.BooleanField(_("blocking"), default=True)
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(_("answer"), max_length=8, choices=Answer.choices, blank=True)
    comment = models.TextField(_("comment on facts"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # 0: nobody alerted; 1: the consulted unit's head, at the deadline; 2: the requester.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Closed unanswered by the urgent procedure (``editorial.urgent``): the post-hoc review
    # that publication opened says who published it, when, and why it could not wait.
    overridden_at = models.DateTimeField(null=True, blank=True)
    overridden_by_urgent = models.ForeignKey(
        PostHocReview,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="overridden_consultations",
    )

    objects = ConsultationQuerySet.as_manager()

    class Meta:
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


class Waiver(models.Model):
    """A charter rule lifted on one revision, by someone with the waive right who is not the
    author, with a category and a written reason (``editorial.waivers``).

    Bound to the revision: an edit makes a new revision that the waiver does not cover, so a
    waiver is never deleted nor edited; the history shows it voided by the next revision.
    """

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="waivers")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="waivers")
    rule = models.CharField(_("rule"), max_length=64)
    category = models.CharField(_("category"), max_length=16, choices=WaiverCategory.choices)
    justification = models.TextField(_("justification"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The content the waiver was given for (the revision's hash when it was granted).
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("waiver")
        constraints = [
            models.UniqueConstraint(fields=["revision", "rule"], name="unique_waiver_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.rule} r{self.revision_id} ({self.category})"

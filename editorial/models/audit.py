"""The audit trail: append-only, hash-chained events and the chain's head."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial.audit import GENESIS_HASH
from editorial.models.posts import Post
from editorial.models.states import PostState


class AuditEvent(models.Model):
    """Append-only and hash-chained: services only ever create these (``editorial.workflow.audit``).

    Each event stores the hash of the one before it, so an edited, deleted or inserted row
    breaks the chain and ``manage.py verify_audit`` names it; its signature (``mac``) shows a
    chain rewritten by someone without AUDIT_HMAC_KEY. A database trigger (see
    migration 0002) refuses UPDATE, and on PostgreSQL DELETE, of this table.
    """

    # Strictly increasing, no gaps: the chain's order (not created_at, which clocks can bend).
    seq = models.PositiveBigIntegerField(unique=True, verbose_name=_("sequence number"))
    prev_hash = models.CharField(max_length=64, verbose_name=_("previous hash"))
    # SHA-256 of the canonical event (``editorial.audit.event_digest``), prev_hash included.
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("hash"))
    # HMAC-SHA256 of seq and hash under AUDIT_HMAC_KEY (``editorial.audit.event_mac``): without
    # the key, a rewritten chain cannot be signed again. Empty on events written before signing
    # began (migration 0023), which the signed event after them vouches for.
    mac = models.CharField(max_length=64, blank=True, default="", verbose_name=_("signature (MAC)"))
    post = models.ForeignKey(
        Post, null=True, on_delete=models.PROTECT, related_name="events", verbose_name=_("post")
    )
    # Null for the scheduler: the worker never invents a user; see ``on_behalf_of``.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    verb = models.CharField(max_length=40, verbose_name=_("verb"))
    from_state = models.CharField(max_length=20, blank=True, verbose_name=_("from state"))
    to_state = models.CharField(max_length=20, blank=True, verbose_name=_("to state"))
    # Plain JSON (text, integers, booleans, lists, objects): it is hashed as written.
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    # Set before hashing (not auto_now_add) so the hash covers the stored value.
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
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
    "rescheduled_for_approval": _("moved to another time and sent back for approval"),
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
    "lockout_cleared": _("login lockout cleared"),
    "second_factor_reset": _("second factor removed by an administrator"),
    # The organisation, told by accounts (accounts.signals.organisation_changed).
    "membership_created": _("membership given"),
    "membership_role_changed": _("membership role changed"),
    "membership_moved": _("membership moved to another unit"),
    "membership_deleted": _("membership ended"),
    "user_created": _("person created"),
    "user_changed": _("person changed"),
    "user_activated": _("person reactivated"),
    "user_deactivated": _("person deactivated"),
    "account_created": _("social account created"),
    "account_changed": _("social account changed"),
    "account_activated": _("social account reactivated"),
    "account_deactivated": _("social account deactivated"),
    "unit_created": _("unit created"),
    "unit_changed": _("unit changed"),
    "unit_deleted": _("unit removed"),
    "grant_created": _("right on one account given"),
    "grant_deleted": _("right on one account ended"),
    "group_created": _("group created"),
    "group_changed": _("group changed"),
    "group_deleted": _("group removed"),
    "approval_policy_created": _("approval chain created"),
    "approval_policy_changed": _("approval chain changed"),
    "approval_policy_deleted": _("approval chain removed"),
    # Charters and elections, told by charter (charter.signals.charter_changed).
    "charter_created": _("charter created"),
    "charter_deleted": _("charter removed"),
    "charter_version_created": _("new charter version"),
    "election_window_created": _("election declared"),
    "election_window_changed": _("election changed"),
    "election_window_deleted": _("election removed"),
    "electoral_referent_designated": _("electoral referent designated"),
    "electoral_referent_removed": _("electoral referent removed"),
    # Records for the archives, told by publishing (publishing.services.records).
    "records_exported": _("records exported for the archives"),
}


class AuditChainHead(models.Model):
    """The chain's last link, in one row that every append locks.

    Holding this row's lock until commit is what keeps two transactions from both extending
    the same link; it also records the last seq and hash, so a deleted tail shows.
    """

    ROW = 1

    seq = models.PositiveBigIntegerField(default=0, verbose_name=_("sequence number"))
    hash = models.CharField(max_length=64, default=GENESIS_HASH, verbose_name=_("hash"))

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_single_row")
        ]

    def __str__(self) -> str:
        return f"audit head {self.seq} {self.hash[:12]}"

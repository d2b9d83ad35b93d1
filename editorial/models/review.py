"""Approval chains (policies and their steps) and the approvals given."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, OrgUnit, SocialAccount
from editorial.models.posts import Post
from editorial.models.revisions import Revision
from editorial.models.states import PostTier


class RescheduleRule(models.TextChoices):
    """What a new publication time chosen by a publisher does to the approvals given."""

    KEEP = "keep", _("Keep the approvals (the charter re-checks the new time)")
    TOLERANCE = (
        "reapprove_if_moved_more_than",
        _("Approve again if moved by more than the tolerance"),
    )
    ALWAYS = "reapprove_always", _("Approve again whenever the time changes")


class ApprovalPolicy(models.Model):
    """An ordered chain of approval steps for a social account or an org unit.

    The most specific policy wins: the account's own, else the nearest unit's going up the
    tree from the account's unit, else the built-in default (``editorial.policies``).

    ``reschedule_rule`` says whether the approvals still cover a post a publisher moves to
    another time (``editorial.policies.reschedule``): the approvers may have approved the
    words for a moment, and some units want to see a new moment again.
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
    reschedule_rule = models.CharField(
        _("when a publisher changes the time"),
        max_length=32,
        choices=RescheduleRule.choices,
        default=RescheduleRule.KEEP,
    )
    reschedule_tolerance_minutes = models.PositiveIntegerField(
        _("tolerance (minutes)"),
        null=True,
        blank=True,
        help_text=_(
            "With “approve again if moved by more than the tolerance”: how far the time may "
            "move without a new approval (e.g. 120 for two hours)."
        ),
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
        if self.reschedule_rule == RescheduleRule.TOLERANCE:
            if self.reschedule_tolerance_minutes is None:
                raise ValidationError(
                    {
                        "reschedule_tolerance_minutes": _(
                            "Give the tolerance in minutes (e.g. 120 for two hours)."
                        )
                    }
                )
        elif self.reschedule_tolerance_minutes is not None:
            raise ValidationError(
                {
                    "reschedule_tolerance_minutes": _(
                        "A tolerance only applies to “approve again if moved by more than the "
                        "tolerance”: leave it empty."
                    )
                }
            )


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

    policy = models.ForeignKey(
        ApprovalPolicy,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=_("approval chain"),
    )
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
        verbose_name_plural = _("approval steps")
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
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("post")
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("revision")
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approver"),
    )
    # The step approved; None is the built-in default step (one reviewer of every account).
    step = models.ForeignKey(
        ApprovalStep,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approvals",
        verbose_name=_("step"),
    )
    # Set when the approver used a delegation: "approved by X as deputy of Y".
    as_deputy_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("as deputy of"),
    )
    # The hash of exactly what was approved: a later edit cannot inherit this approval.
    content_hash = models.CharField(max_length=64, verbose_name=_("content hash"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            models.UniqueConstraint(fields=["revision", "approver"], name="unique_approval")
        ]

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from editorial.forms.settings_rules import StepFieldsForm
from editorial.models import (
    Approval,
    ApprovalPolicy,
    ApprovalStep,
    AuditEvent,
    Consultation,
    Freeze,
    Post,
    PostHocReview,
    Revision,
    Waiver,
)
from editorial.policies.chains import may_manage_policy
from editorial.services import approval_chains


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """History is written by services only: the admin may look, never touch."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("id", "state", "author", "unit", "scheduled_at", "updated_at")
    list_filter = ("state",)


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("post", "number", "language", "created_by", "created_at")


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("post", "revision", "step", "approver", "as_deputy_of", "created_at")


class ApprovalStepInline(admin.StackedInline[ApprovalStep, ApprovalPolicy]):
    model = ApprovalStep
    form = StepFieldsForm
    extra = 1


def _by(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin[ApprovalPolicy]):
    """Chains are configuration: a superuser or an administrator of the chain's unit writes
    them, with their steps, through ``approval_chains`` (one recorded change per save);
    approvals keep their steps."""

    list_display = ("name", "account", "unit", "step_count")
    inlines = [ApprovalStepInline]

    @admin.display(description=_("steps"))
    def step_count(self, obj: ApprovalPolicy) -> int:
        return obj.steps.count()

    def _manages(self, request: HttpRequest, obj: ApprovalPolicy | None) -> bool:
        return obj is None or may_manage_policy(_by(request), obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._manages(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._manages(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ApprovalPolicy, form: Any, change: bool
    ) -> None:
        """Nothing yet: the policy and its steps are saved together in ``save_related``, so
        that the change is one recorded event."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        steps: list[ApprovalStep] = []
        removed: list[ApprovalStep] = []
        for formset in formsets:
            formset.save(commit=False)
            steps += [*formset.new_objects, *(step for step, _c in formset.changed_objects)]
            removed += formset.deleted_objects
        approval_chains.approval_policy_save(
            policy=form.instance, steps=steps, removed=removed, by=_by(request)
        )

    def delete_model(self, request: HttpRequest, obj: ApprovalPolicy) -> None:
        approval_chains.approval_policy_delete(policy=obj, by=_by(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApprovalPolicy]) -> None:
        for policy in queryset:
            approval_chains.approval_policy_delete(policy=policy, by=_by(request))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "seq",
        "created_at",
        "post",
        "verb",
        "actor",
        "on_behalf_of",
        "from_state",
        "to_state",
        "hash",
    )
    list_filter = ("verb",)


@admin.register(Freeze)
class FreezeAdmin(ReadOnlyAdmin):
    """Freezes are set and lifted on the Freezes page, which audits them."""

    list_display = ("target", "reason", "frozen_by", "frozen_at", "lifted_by", "lifted_at")
    list_filter = ("lifted_at",)

    @admin.display(description=_("frozen scope"))
    def target(self, freeze: Freeze) -> str:
        return freeze.target


@admin.register(PostHocReview)
class PostHocReviewAdmin(ReadOnlyAdmin):
    """Opened by the urgent procedure and completed on the post page, both audited."""

    list_display = ("post", "urgent_by", "created_at", "due_at", "outcome", "completed_by")
    list_filter = ("outcome",)


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    """Asked, answered and cancelled on the post page, which audits them."""

    list_display = (
        "post",
        "unit",
        "blocking",
        "deadline",
        "answer",
        "answered_revision",
        "escalation_level",
        "cancelled_at",
    )
    list_filter = ("blocking", "answer", "escalation_level")


@admin.register(Waiver)
class WaiverAdmin(ReadOnlyAdmin):
    """Granted on the post page, which audits them; never edited, never deleted."""

    list_display = ("post", "revision", "rule", "category", "granted_by", "created_at")
    list_filter = ("category", "rule")

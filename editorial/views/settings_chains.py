"""Approval chains without the Django admin: the list, a chain with its steps, who would
approve a post under it. Unit administrators only; every change through ``approval_chains``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from accounts.models import SocialAccount, User
from editorial import selectors
from editorial.forms.settings_rules import ChainForm, PreviewForm, StepFormSet
from editorial.models import ApprovalPolicy, ApprovalStep, Post, PostTier
from editorial.selectors import settings_rules as rules
from editorial.services import approval_chains
from editorial.views.common import request_user
from editorial.workflow import EditorialError

REFUSED = gettext_lazy("Only the administrators of a unit configure its approval chains.")


def _refusal(request: HttpRequest) -> HttpResponse:
    """The refusal in words, with a way back (Django's bare 403 page says nothing)."""
    return render(
        request, "editorial/settings/chains_refused.html", {"message": REFUSED}, status=403
    )


@login_required
@require_GET
def chains(request: HttpRequest) -> HttpResponse:
    """The chains of the units the user administers, each with its steps in order."""
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    tiers = dict(PostTier.choices)
    rows = [
        (chain, [(step, [tiers.get(t, t) for t in step.tiers]) for step in chain.steps.all()])
        for chain in rules.chains_manageable_by(user)
    ]
    return render(request, "editorial/settings/chains.html", {"chains": rows})


def _save(request: HttpRequest, user: User, form: ChainForm, formset: Any) -> ApprovalPolicy | None:
    """Both forms valid: the chain and its steps in one service call (one recorded change).
    A refusal lands on the form, with everything typed kept."""
    policy: ApprovalPolicy = form.save(commit=False)
    formset.instance = policy
    # New and changed steps, unsaved: the service saves them with the chain.
    steps: list[ApprovalStep] = formset.save(commit=False)
    try:
        return approval_chains.approval_policy_save(
            policy=policy,
            steps=steps,
            removed=formset.deleted_objects,
            by=user,
        )
    except PermissionDenied:
        form.add_error(None, str(REFUSED))
    except EditorialError as exc:
        form.add_error(None, exc.message)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
    return None


def _edit(request: HttpRequest, policy: ApprovalPolicy | None) -> HttpResponse:
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    units = permissions.units_managed_by(user)
    data = request.POST if request.method == "POST" else None
    form = ChainForm(data, instance=policy, units=units)
    formset = StepFormSet(data, instance=policy or ApprovalPolicy(), prefix="steps")
    if data is not None and form.is_valid() and formset.is_valid():
        saved = _save(request, user, form, formset)
        if saved is not None:
            messages.success(request, _("Approval chain “%(name)s” saved.") % {"name": saved})
            return redirect("editorial:settings_chain", pk=saved.pk)
    context: dict[str, Any] = {"form": form, "formset": formset, "policy": policy}
    if policy is not None:
        context.update(_preview(request, user, policy))
    return render(request, "editorial/settings/chains_edit.html", context)


def _preview(request: HttpRequest, user: User, policy: ApprovalPolicy) -> dict[str, Any]:
    """Who would approve the post chosen in the preview form (a GET: nothing is written)."""
    # The 50 latest: a choice list, not a search (a sliced queryset cannot validate a choice).
    recent = list(
        selectors.posts_visible_to(user).order_by("-pk").values_list("pk", flat=True)[:50]
    )
    posts = Post.objects.filter(pk__in=recent).select_related("current_revision").order_by("-pk")
    accounts = SocialAccount.objects.filter(unit__in=permissions.units_managed_by(user))
    # Prefixed: the chain's own form above has an "account" field too.
    asked = "preview-tier" in request.GET
    preview_form = PreviewForm(
        request.GET if asked else None, posts=posts, accounts=accounts, prefix="preview"
    )
    if not asked or not preview_form.is_valid():
        return {"preview_form": preview_form}
    post, raised_by = preview_form.cleaned_data["post"], []
    if post is not None:
        target: Any = post
        chosen = list(post.accounts.all())
    else:
        data = preview_form.cleaned_data
        chosen = [data["account"]]
        drafted = rules.draft_for(user, data["account"], data["tier"], data["text"])
        target, raised_by = drafted.draft, drafted.raised_by
    return {
        "preview_form": preview_form,
        "preview": rules.chain_preview(policy, target),
        "preview_tier": PostTier(target.tier).label,
        "preview_raised_by": raised_by,
        "preview_applies": rules.chain_applies(policy, chosen),
    }


@login_required
def chain_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
def chain_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    return _edit(request, get_object_or_404(rules.chains_manageable_by(user), pk=pk))


@login_required
@require_POST
def chain_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    policy = get_object_or_404(rules.chains_manageable_by(user), pk=pk)
    try:
        approval_chains.approval_policy_delete(policy=policy, by=user)
    except EditorialError as exc:
        messages.error(request, exc.message)
        return redirect("editorial:settings_chain", pk=pk)
    messages.success(
        request,
        _("Approval chain “%(name)s” removed: its posts follow the next chain up.")
        % {"name": policy.name},
    )
    return redirect("editorial:settings_chains")

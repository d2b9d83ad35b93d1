"""Freezing publishing on an account or the whole organisation, and lifting it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions
from editorial import selectors, services
from editorial.forms.freezes import FreezeForm
from editorial.views.common import request_user, run_service


@login_required
def freezes(request: HttpRequest) -> HttpResponse:
    """Active freezes and their history; freeze an account (or the organisation) with a reason."""
    user = request_user(request)
    accounts = permissions.accounts_for(user, permissions.Perm.PUBLISH)
    org_wide = services.may_freeze(user, None)
    if not org_wide and not accounts.exists():
        raise PermissionDenied(_("Only publishers can freeze publishing."))
    form = FreezeForm(request.POST or None, accounts=accounts, org_wide=org_wide)
    if request.method == "POST" and form.is_valid():
        account = form.cleaned_data["account"]
        try:
            services.freeze_create(account=account, reason=form.cleaned_data["reason"], by=user)
        except services.EditorialError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Publishing is frozen on %(target)s: scheduled posts wait until it is lifted.")
                % {"target": account or _("the whole organisation")},
            )
            return redirect("editorial:freezes")
    rows = list(selectors.freezes_visible_to(user)[:200])
    return render(
        request,
        "editorial/freezes.html",
        {
            "form": form,
            "active": [(f, services.may_freeze(user, f.account)) for f in rows if f.is_active],
            "history": [f for f in rows if not f.is_active],
        },
    )


@login_required
@require_POST
def freeze_lift(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    freeze = get_object_or_404(selectors.freezes_visible_to(user), pk=pk)
    run_service(
        request,
        lambda: services.freeze_lift(freeze=freeze, by=user),
        _("Freeze lifted: the posts it held go out at the next scheduler tick."),
    )
    return redirect("editorial:freezes")

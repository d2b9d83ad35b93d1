"""A member's own delegations: who stands in for them, for whom they stand in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from editorial import selectors
from editorial.forms.members import DelegationForm
from editorial.services import EditorialError, delegations
from editorial.views.common import request_user


@login_required
def delegation_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = DelegationForm(
        request.POST or None,
        deputies=selectors.deputy_candidates(user),
        units=selectors.delegable_units(user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegation = delegations.delegation_create(
                by=user,
                deputy=data["deputy"],
                unit=data["unit"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except (EditorialError, PermissionDenied) as exc:
            messages.error(request, getattr(exc, "message", "") or str(exc))
        else:
            messages.success(
                request,
                _("%(deputy)s is your deputy from %(start)s to %(end)s.")
                % {
                    "deputy": delegation.to_user,
                    "start": delegation.starts_on.isoformat(),
                    "end": delegation.ends_on.isoformat(),
                },
            )
            return redirect("editorial:delegations")
    return render(
        request,
        "editorial/delegations.html",
        {
            "form": form,
            "given": selectors.delegations_given(user),
            "received": selectors.delegations_received(user),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def delegation_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    delegation = selectors.delegation_get_for(user, pk)
    try:
        kept = delegations.delegation_end(delegation=delegation, by=user)
    except (EditorialError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", "") or str(exc))
    else:
        messages.success(
            request,
            _("Delegation ended: your deputy can no longer approve in your name.")
            if kept
            else _("Delegation cancelled before it began."),
        )
    return redirect("editorial:delegations")

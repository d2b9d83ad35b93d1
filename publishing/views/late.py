"""A publisher's decision on publications held by the late-post policy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from editorial import selectors
from editorial.form_input import nul_refusal
from editorial.services import EditorialError
from publishing.services.late import publications_cancel_late, publications_confirm_late


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_POST
def confirm_late(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    try:
        publications_confirm_late(post=post, by=user)
    except (EditorialError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, _("Confirmed: the post goes out now, paced with any backlog."))
    return redirect("editorial:post", pk=pk)


@login_required
@require_POST
def cancel_late(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    post = selectors.post_get_for(user, pk)
    reason = request.POST.get("reason", "")
    refusal = nul_refusal(reason)  # PostgreSQL stores no NUL: words, not a 500
    if refusal:
        messages.error(request, refusal)
        return redirect("editorial:post", pk=pk)
    try:
        publications_cancel_late(post=post, by=user, reason=reason)
    except (EditorialError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, _("Cancelled: nothing more will be published for this post."))
    return redirect("editorial:post", pk=pk)

"""The comment thread of a post: a plain form that htmx can swap in place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from editorial import selectors
from editorial.forms.members import CommentForm
from editorial.services import EditorialError, comments
from editorial.views.common import request_user


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    form = CommentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            comments.comment_add(post=post, by=user, body=form.cleaned_data["body"])
        except (EditorialError, PermissionDenied) as exc:
            error = getattr(exc, "message", "") or str(exc)
        else:
            form = CommentForm()
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.headers.get("HX-Request"):
        # The thread alone, with the refused text kept in the form to correct it.
        return render(
            request,
            "editorial/_comments.html",
            {
                "post": post,
                "comments": selectors.comments_for(post),
                "comment_form": form,
                "comment_error": error,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Comment added."))
    return redirect("editorial:post", pk=pk)

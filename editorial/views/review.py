"""Reviewing a post: the queue, approving, asking for changes, scheduling, retrying, withdrawing
and retracting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from editorial import policies, selectors, services
from editorial.form_input import nul_refusal
from editorial.forms.review import EndPostForm, RequestChangesForm, ScheduleForm
from editorial.models import Post, PostState
from editorial.selectors.consultations import consultation_queue
from editorial.views.calendar import back_to_review_message
from editorial.views.common import request_user, run_service
from editorial.views.post_page import post_page


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "editorial/queue.html",
        {
            "queue": selectors.review_queue(user),
            "posthoc": selectors.posthoc_reviews_for(user),
            "consultations": consultation_queue(user),
        },
    )


def _seen_revision(request: HttpRequest) -> int | None:
    """The revision number the approval form carries; None when missing or not a number (a
    number too long for the database is no revision either)."""
    seen = request.POST.get("revision", "").strip()
    if not seen.isascii() or not seen.isdigit() or len(seen) > 9:
        return None
    return int(seen)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    revision = _seen_revision(request)
    if revision is None:
        # Never approve "whatever is current": the approver names the revision they read.
        messages.error(
            request,
            _(
                "The approval does not say which revision you read: open the post again and "
                "approve from its page."
            ),
        )
        return post_page(request, pk, status=400)
    if not run_service(
        request,
        lambda: services.post_approve(post=post, by=user, revision=revision),
        _("Approved."),
    ):
        return redirect("editorial:post", pk=pk)
    post.refresh_from_db()
    if post.state == PostState.IN_REVIEW and policies.is_complete(policies.chain_status(post)):
        # The last step is approved but a blocking consultation holds the post: say which.
        messages.warning(request, policies.waiting_for_consultations(post) or "")
    if "and_schedule" in request.POST and services.may(post.schedule, user):
        _approve_and_schedule(request, post, user)
    return redirect("editorial:post", pk=pk)


def _approve_and_schedule(request: HttpRequest, post: Post, user: User) -> None:
    """The approval's second half: at the author's requested time; now only when none was
    asked and the button said so. A requested time that has passed is not read as "now"."""
    requested = post.requested_publish_at
    if requested is None:
        if ScheduleForm.NOW in request.POST:
            run_service(
                request, lambda: services.post_schedule(post=post, by=user), _("Scheduled.")
            )
        return
    if requested <= timezone.now():
        messages.warning(
            request,
            _("The requested time (%(at)s) has passed: choose a new time below, or publish now.")
            % {"at": formats.date_format(timezone.localtime(requested), "SHORT_DATETIME_FORMAT")},
        )
        return
    run_service(
        request,
        lambda: services.post_schedule(post=post, by=user, at=requested),
        _("Scheduled."),
    )


@login_required
@require_POST
def request_changes(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    comment = RequestChangesForm(request.POST).data.get("comment", "")
    refusal = nul_refusal(comment)
    if refusal:
        messages.error(request, refusal)
        return redirect("editorial:post", pk=pk)
    run_service(
        request,
        lambda: services.post_request_changes(post=post, by=user, comment=comment),
        _("Sent back to the author."),
    )
    return redirect("editorial:post", pk=pk)


@login_required
@require_POST
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        for error in form["at"].errors:
            messages.error(request, str(error))
        # Shown again as typed, with the question on a clock-change night.
        return post_page(request, pk, status=400, schedule_form=form)
    if form.publish_now:
        # Its own button: the only way to ask for "now".
        _schedule_at(request, post, user, None, _("Scheduled to go out now."))
    else:
        _schedule_at(request, post, user, form.cleaned_data["at"], _("Scheduled."))
    return redirect("editorial:post", pk=pk)


def _schedule_at(
    request: HttpRequest, post: Post, user: User, at: datetime | None, done: str
) -> None:
    """The form's time (None: now): scheduled, or back to review when the approval policy
    wants the new time approved (said as a warning: nothing is scheduled)."""
    try:
        moved = services.post_schedule(post=post, by=user, at=at)
    except services.EditorialError as exc:
        messages.error(request, exc.message)
        return
    if moved.state == PostState.IN_REVIEW:
        moment = moved.requested_publish_at or timezone.now()
        when = formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        messages.warning(request, back_to_review_message(moved, when))
    else:
        messages.success(request, done)


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    run_service(
        request,
        lambda: services.post_retry(post=post, by=user),
        _("Publication will be tried again."),
    )
    return redirect("editorial:post", pk=pk)


def _end_post(
    request: HttpRequest, pk: int, service: Callable[..., object], success: str
) -> HttpResponse:
    """Withdraw or retract: one service call with the reason typed on the post page."""
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    reason = EndPostForm(request.POST).data.get("reason", "")
    refusal = nul_refusal(reason)
    if refusal:
        messages.error(request, refusal)
        return redirect("editorial:post", pk=pk)
    run_service(request, lambda: service(post=post, by=user, reason=reason), success)
    return redirect("editorial:post", pk=pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _end_post(request, pk, services.post_withdraw, _("Withdrawn: it will not be published."))


@login_required
@require_POST
def retract(request: HttpRequest, pk: int) -> HttpResponse:
    return _end_post(
        request, pk, services.post_retract, _("Retracted: it is being deleted from the networks.")
    )

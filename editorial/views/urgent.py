"""Pages of the urgent procedure and of its post-hoc review (``editorial.services.urgent``,
``editorial.services.posthoc``).

A refused form is shown again with what was typed, never lost behind a redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import User
from editorial import policies, selectors, services
from editorial.forms.urgent import PostHocReviewForm, UrgentPublishForm
from editorial.models import Consultation, Post, PostHocReview
from editorial.services import posthoc, urgent
from editorial.views.common import request_user


@dataclass(frozen=True)
class Overriding:
    """The unanswered blocking consultations the procedure would publish past, as the page
    lists them (``_urgent_consultations.html``)."""

    rows: list[Consultation]
    # Whether the acknowledgement box is ticked: only when it was, for this very list.
    acknowledged: bool = False

    @property
    def units(self) -> str:
        return ", ".join(str(c.unit) for c in self.rows)

    @property
    def ids(self) -> str:
        return ",".join(str(c.pk) for c in self.rows)


def overriding(post: Post, form: UrgentPublishForm | None = None) -> Overriding:
    rows = list(selectors.blocking_unanswered(post))
    ticked = bool(
        form is not None
        and form.is_bound
        and "acknowledge" not in form.errors
        and form.cleaned_data.get("acknowledge")
        and form.shown_ids() == {c.pk for c in rows}
    )
    return Overriding(rows, acknowledged=ticked)


@dataclass(frozen=True)
class UrgentPanel:
    may_publish: bool
    form: UrgentPublishForm
    min_length: int
    # Each review of the post and whether this user may complete it now.
    reviews: list[tuple[PostHocReview, bool]]
    overriding: Overriding | None = None


def post_context(post: Post, user: User) -> dict[str, Any]:
    """What the post page needs to show the procedure (its partial: ``_urgent.html``)."""
    reviews = selectors.posthoc_reviews_of(post)
    rows = [(r, policies.posthoc_refusal(r, user) is None) for r in reviews]
    may_publish = policies.may_publish_urgently(post, user)
    return {
        "urgent": UrgentPanel(
            may_publish=may_publish,
            form=UrgentPublishForm(),
            min_length=urgent.justification_min_length(),
            reviews=rows,
            overriding=overriding(post) if may_publish else None,
        ),
        "posthoc_form": PostHocReviewForm(),
    }


def _pending_steps(post: Post) -> list[policies.StepStatus]:
    return [s for s in policies.chain_status(post) if not s.satisfied]


@login_required
def publish_urgently(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    refusal = policies.urgent_refusal(post, user)
    if refusal:
        raise PermissionDenied(refusal)
    form = UrgentPublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = urgent.post_publish_urgently(
                post=post,
                by=user,
                justification=form.cleaned_data["justification"],
                acknowledged=form.acknowledged_ids(),
                shown=form.shown_ids(),
            )
        except services.CharterRefused as exc:
            for finding in exc.report.blocking:
                form.add_error(None, finding.message)
        except urgent.JustificationRefused as exc:
            form.add_error("justification", exc.message)
        except urgent.ConsultationsNotAcknowledged as exc:
            form.add_error("acknowledge", exc.message)
        except services.EditorialError as exc:
            form.add_error(None, exc.message)
        else:
            _tell_published_urgently(request, review)
            return redirect("editorial:post", pk=pk)
    context = _urgent_context(post, form)
    return render(request, "editorial/urgent.html", context, status=400 if form.errors else 200)


def _urgent_context(post: Post, form: UrgentPublishForm) -> dict[str, Any]:
    return {
        "post": post,
        "revision": post.current_revision,
        "form": form,
        "min_length": urgent.justification_min_length(),
        "pending": _pending_steps(post),
        "overriding": overriding(post, form),
    }


def _tell_published_urgently(request: HttpRequest, review: PostHocReview) -> None:
    """When the skipped approvers must review it, and which consultations were overridden."""
    messages.success(
        request,
        _(
            "Scheduled for now under the urgent procedure. The skipped approvers are "
            "asked to review it by %(due)s."
        )
        # In the reader's time zone, as every time on the pages (due_at is UTC).
        % {"due": formats.date_format(timezone.localtime(review.due_at), "SHORT_DATETIME_FORMAT")},
    )
    closed = [str(c.unit) for c in review.overridden_consultations.select_related("unit")]
    if closed:
        messages.warning(
            request,
            _(
                "The consultation of %(units)s was closed as overridden; its members "
                "are told, with your justification."
            )
            % {"units": ", ".join(closed)},
        )


@login_required
def posthoc_review(request: HttpRequest, pk: int, review_id: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    review = get_object_or_404(selectors.posthoc_reviews_of(post), pk=review_id)
    refusal = policies.posthoc_refusal(review, user)
    form = PostHocReviewForm(request.POST or None)
    if request.method == "POST":
        if refusal and not review.is_open:
            messages.info(request, refusal)
            return redirect("editorial:post", pk=pk)
        if refusal:
            raise PermissionDenied(refusal)
        if form.is_valid():
            try:
                posthoc.posthoc_review_complete(
                    review=review,
                    by=user,
                    outcome=form.cleaned_data["outcome"],
                    comment=form.cleaned_data["comment"],
                )
            except services.EditorialError as exc:
                form.add_error("comment", exc.message)
            else:
                messages.success(request, _("Post-hoc review recorded."))
                return redirect("editorial:post", pk=pk)
    return render(
        request,
        "editorial/posthoc.html",
        {"post": post, "review": review, "form": form, "refusal": refusal},
        status=400 if form.errors else 200,
    )

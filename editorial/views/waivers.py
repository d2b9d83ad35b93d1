"""Waive a charter finding from the post page; download the monthly exceptions report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from editorial import policies, selectors, services
from editorial.form_input import nul_refusal
from editorial.forms.dates import EARLIEST_YEAR, LATEST_YEAR
from editorial.forms.waivers import WaiverForm
from editorial.models import Post
from editorial.services import waivers
from editorial.views.common import request_user


@dataclass(frozen=True)
class WaiverPanel:
    rows: list[selectors.WaiverRow]
    may_waive: bool
    # (option, its form) for each rule with findings still standing on the current revision.
    options: list[tuple[selectors.WaiverOption, WaiverForm | None]]
    min_length: int


def post_context(post: Post, user: User) -> dict[str, Any]:
    """What the post page needs for its waivers partial (``_waivers.html``)."""
    may = post.current_revision is not None and policies.may_waive(post, user)
    options: list[tuple[selectors.WaiverOption, WaiverForm | None]] = []
    if may:
        # Run only for who may waive: the stored report of a draft is empty until submission.
        for option in selectors.waiver_options(selectors.current_report(post)):
            form = (
                WaiverForm(
                    initial={"rule": option.rule},
                    categories=option.categories,
                    prefix=option.rule.replace(".", "-"),
                )
                if option.waivable
                else None
            )
            options.append((option, form))
    return {
        "waivers": WaiverPanel(
            rows=selectors.waivers_of(post),
            may_waive=may,
            options=options,
            min_length=waivers.JUSTIFICATION_MIN_LENGTH,
        )
    }


@login_required
@require_POST
def grant(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    post = selectors.post_get_for(user, pk)
    rule = request.POST.get("rule", "")
    prefix = rule.replace(".", "-")
    data = request.POST

    def field(name: str) -> str:
        return data.get(f"{prefix}-{name}", data.get(name, ""))

    refusal = nul_refusal(rule, field("category"), field("justification"))
    if refusal:
        messages.error(request, refusal)
        return redirect("editorial:post", pk=pk)
    try:
        waivers.waiver_grant(
            post=post,
            rule=rule,
            category=field("category"),
            justification=field("justification"),
            by=user,
        )
    except services.EditorialError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Finding waived on this revision: an edit of the post voids the waiver.")
        )
    return redirect("editorial:post", pk=pk)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The exceptions report page; with ``?month=YYYY-MM``, the CSV of that month."""
    user = request_user(request)
    if not policies.may_read_report(user):
        raise PermissionDenied(_("Only members with the waive right, or staff, read this report."))
    value = request.GET.get("month", "")
    this_month = timezone.localdate().strftime("%Y-%m")
    if not value:
        return render(request, "editorial/waivers_report.html", {"month": this_month})
    try:
        month = waivers.parse_month(value)
    except ValueError:
        messages.error(
            request,
            _("Give the month as YYYY-MM, from %(first)s-01 to %(last)s-12, for example %(m)s.")
            % {"m": this_month, "first": EARLIEST_YEAR, "last": LATEST_YEAR},
        )
        return render(request, "editorial/waivers_report.html", {"month": this_month}, status=400)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="waivers-{month:%Y-%m}.csv"'
    waivers.write_report(selectors.waivers_in_month(month, user=user), response)
    return response

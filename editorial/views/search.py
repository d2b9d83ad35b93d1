"""The search page: posts by text, account, unit, author, state, tier and dates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import OrgUnit, SocialAccount
from editorial import selectors
from editorial.forms.search import SearchForm
from editorial.selectors.search import post_search
from editorial.views.common import request_user

PER_PAGE = 25


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """No criterion lists every post the user may see, newest first; a refused form (dates
    the wrong way round) is shown again as typed, with what to change."""
    user = request_user(request)
    form = SearchForm(
        request.GET,
        accounts=SocialAccount.objects.filter(pk__in=selectors.visible_account_ids(user)),
        units=OrgUnit.objects.order_by("name"),
    )
    page = None
    if form.is_valid():
        results = post_search(user, form.criteria())
        page = Paginator(results, PER_PAGE).get_page(request.GET.get("page"))
    # The pages' links keep the filters.
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "editorial/search.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )

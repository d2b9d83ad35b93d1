"""The search page: posts by text, account, unit, author, state, tier and dates."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from editorial.forms.search import SearchForm
from editorial.models import Post
from editorial.selectors.posts import posts_visible_to, visible_account_ids
from editorial.selectors.search import post_search_results, search_choices
from editorial.views.common import request_user

PER_PAGE = 25


class _CountedOnThePage(Paginator):  # type: ignore[type-arg]
    """Pages of the ranked rows, counted in the same query (``COUNT(*) OVER ()``): the
    French vector of every visible post is computed once, not a second time by a separate
    count. A page past the end (no row) falls back to counting the bare filter, without rank
    or ORDER BY, to show the last page as ``Paginator.get_page`` does."""

    def __init__(self, rows: QuerySet[Post], per_page: int, matching: QuerySet[Post]) -> None:
        super().__init__(rows, per_page)
        self._rows, self._matching = rows, matching

    @cached_property
    def count(self) -> int:
        return self._matching.count()

    def get_page(self, number: Any) -> Page:  # type: ignore[type-arg]
        try:
            wanted = max(1, int(number))
        except (TypeError, ValueError):
            wanted = 1
        start = (wanted - 1) * self.per_page
        rows = self._rows.annotate(total=Window(Count("pk")))
        shown = list(rows[start : start + self.per_page])
        if not shown:
            return super().get_page(number)
        self.__dict__["count"] = shown[0].total
        return Page(shown, wanted, self)


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """No criterion lists every post the user may see, newest first; a refused form (dates
    the wrong way round) is shown again as typed, with what to change."""
    user = request_user(request)
    # One read of what the user may see, for the filters and the results.
    account_ids = visible_account_ids(user)
    visible = posts_visible_to(user, account_ids)
    accounts, units = search_choices(account_ids, visible)
    form = SearchForm(request.GET, accounts=accounts, units=units)
    page = None
    if form.is_valid():
        results = post_search_results(visible, form.criteria())
        paginator = _CountedOnThePage(results.rows, PER_PAGE, results.matching)
        page = paginator.get_page(request.GET.get("page"))
    # The pages' links keep the filters.
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "editorial/search.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )

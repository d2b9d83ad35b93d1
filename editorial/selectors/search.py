"""The search page's read: the posts a user may see, filtered by text, account, unit, author,
state, tier and a range of dates.

On PostgreSQL the text is matched by French full-text search (stemmed: "élections" finds
"élection"), ranked, on the vector each revision stores (``Revision.text_search``, a
generated column with its GIN index: migration ``editorial.0029_revision_text_search_stored``).
On SQLite (the newcomer's demo) a plain case-insensitive "contains".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import OrgUnit, SocialAccount
from editorial.models import Post
from editorial.models.text_search import SEARCH_CONFIG
from editorial.selectors.posts import posts_visible_to

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class SearchCriteria:
    """What the search form asks; an empty value does not filter."""

    text: str = ""
    account_id: int | None = None
    unit_id: int | None = None
    author: str = ""
    state: str = ""
    tier: str = ""
    # Days in the reader's time zone, both included, on the post's date (see ``post_search``).
    date_from: date | None = None
    date_to: date | None = None


# The stored French vector of a post's current text (``Revision.text_search``; NULL, so found
# by nothing, without a revision): filtered and ranked on.
TEXT_VECTOR = "current_revision__text_search"


@dataclass(frozen=True)
class SearchResults:
    """The posts found, ranked, and the same filter bare, to count them."""

    rows: QuerySet[Post]
    # No rank, no joins for display, no ORDER BY: the paginator's count needs none of them
    # (docs/benchmarks.md "The four pages").
    matching: QuerySet[Post]


def post_search(user: User, criteria: SearchCriteria) -> QuerySet[Post]:
    """The posts ``user`` may see that match every criterion given.

    A post's date is when it is (or was) scheduled, else when its author asked for it, else
    when it was written: the moment a reader thinks of when they look for "last week's posts".
    Ordered by relevance when searching text on PostgreSQL, else newest first.
    """
    return post_search_results(posts_visible_to(user), criteria).rows


def post_search_results(visible: QuerySet[Post], criteria: SearchCriteria) -> SearchResults:
    """``post_search`` among ``visible`` (``posts_visible_to``), and its bare filter."""
    matching, ranked = _matching(visible.alias(moment=_moment()), criteria)
    rows, _ranked = _matching(visible.annotate(moment=_moment()), criteria)
    order: list[str | F] = ["-moment", "-pk"]
    if ranked is not None:
        rows = rows.annotate(rank=SearchRank(F(TEXT_VECTOR), ranked))
        order = ["-rank", *order]
    return SearchResults(rows=rows.order_by(*order), matching=matching.order_by())


def search_choices(
    account_ids: Collection[int], visible: QuerySet[Post]
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The accounts the user may see (``account_ids``: ``visible_account_ids``) and the units
    of the posts they may see, as the filters offer them: (id, label) pairs read as values,
    not model instances. A large organisation has hundreds of units; listing them all cost
    most of the page's time (docs/benchmarks.md "The search page, made cheaper"). A post's
    unit is its author's (the byline), not always its account's: the units are read from
    the ``visible`` posts (``posts_visible_to``)."""
    network = dict(SocialAccount.Network.choices)
    accounts = [
        (pk, f"{network.get(kind, kind)} {handle}")
        for pk, kind, handle in SocialAccount.objects.filter(pk__in=account_ids)
        .order_by("network", "handle", "pk")
        .values_list("pk", "network", "handle")
    ]
    units = [
        (pk, f"{name} ({code})")
        for pk, name, code in OrgUnit.objects.filter(pk__in=visible.order_by().values("unit_id"))
        .order_by("name", "pk")
        .values_list("pk", "name", "code")
    ]
    return accounts, units


def _moment() -> Coalesce:
    return Coalesce("scheduled_at", "requested_publish_at", "created_at")


def _matching(
    posts: QuerySet[Post], criteria: SearchCriteria
) -> tuple[QuerySet[Post], SearchQuery | None]:
    """``posts`` filtered by every criterion, and the text query to rank by (PostgreSQL)."""
    posts = posts.filter(_filters(criteria))
    text = criteria.text.strip()
    if text and connection.vendor == "postgresql":
        # Python lowers every letter, whatever the database's locale.
        query = SearchQuery(text.lower(), config=SEARCH_CONFIG, search_type="websearch")
        return posts.filter(**{TEXT_VECTOR: query}), query
    if text:
        posts = posts.filter(current_revision__text__icontains=text)
    return posts, None


def _filters(criteria: SearchCriteria) -> Q:
    where = Q()
    if criteria.account_id is not None:
        where &= Q(accounts=criteria.account_id)
    if criteria.unit_id is not None:
        where &= Q(unit=criteria.unit_id)
    for word in criteria.author.split():
        # Each word names the author one way or another: login, first or last name, initials.
        where &= (
            Q(author__username__icontains=word)
            | Q(author__first_name__icontains=word)
            | Q(author__last_name__icontains=word)
            | Q(author__initials__iexact=word)
        )
    if criteria.state:
        where &= Q(state=criteria.state)
    if criteria.tier:
        where &= Q(tier=criteria.tier)
    if criteria.date_from is not None:
        where &= Q(moment__gte=_day_start(criteria.date_from))
    if criteria.date_to is not None:
        where &= Q(moment__lt=_day_start(criteria.date_to + timedelta(days=1)))
    return where


def _day_start(day: date) -> datetime:
    """Midnight of ``day`` in the reader's time zone (the page's dates are theirs)."""
    return timezone.make_aware(datetime.combine(day, time.min))

"""The search page (editorial.views.search) and its selector (editorial.selectors.search)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, OrgUnit
from accounts.services import membership_create
from editorial import services
from editorial.models import Post, PostTier, Revision
from editorial.models.text_search import SEARCH_CONFIG
from editorial.selectors.search import SearchCriteria, post_search
from tests.conftest import Org
from tests.factories import make_account, make_unit, make_user

URL = reverse("editorial:search")


def _draft(org: Org, text: str, **kwargs: Any) -> Post:
    return services.post_create(by=org.officer, accounts=[org.mastodon], text=text, **kwargs)


def _found(client: Client, **params: str) -> list[int]:
    response = client.get(URL, params)
    assert response.status_code == 200
    page = response.context["page"]
    assert page is not None, response.context["form"].errors
    return [p.pk for p in page.object_list]


def test_search_finds_french_words_by_their_stem(org: Org) -> None:
    assert connection.vendor == "postgresql"  # the suite runs on PostgreSQL: full-text search
    found = _draft(org, "Les élections municipales auront lieu en mars.")
    _draft(org, "Fermeture de la piscine pour travaux.")
    # French stemming: the singular finds the plural, and accents are kept.
    assert [p.pk for p in post_search(org.officer, SearchCriteria(text="élection"))] == [found.pk]


def test_search_finds_words_written_with_an_accented_capital(org: Org) -> None:
    # The test cluster's locale is C, where PostgreSQL itself would not fold "É".
    found = _draft(org, "Élection du conseil des jeunes.")
    assert list(post_search(org.officer, SearchCriteria(text="élection"))) == [found]
    assert list(post_search(org.officer, SearchCriteria(text="ÉLECTION"))) == [found]


def test_search_ranks_the_closest_match_first(org: Org) -> None:
    once = _draft(org, "Travaux rue Victor Hugo, une semaine de fermeture.")
    twice = _draft(org, "Travaux de voirie : les travaux commencent lundi.")
    results = list(post_search(org.officer, SearchCriteria(text="travaux")))
    assert [p.pk for p in results] == [twice.pk, once.pk]


def test_search_only_shows_posts_the_user_may_see(org: Org, client: Client) -> None:
    mine = _draft(org, "Conseil municipal jeudi soir.")
    client.force_login(org.outsider)
    assert _found(client, q="conseil") == []
    client.force_login(org.manager)
    assert _found(client, q="conseil") == [mine.pk]


def test_search_filters_by_account_unit_author_state_and_tier(org: Org, client: Client) -> None:
    other = make_unit(name="Direction des sports", code="sports", parent=org.ministry)
    sports_account = make_account(other, "bluesky")
    writer = make_user(username="sportive", first_name="Camille", last_name="Martin")
    membership_create(user=writer, unit=other, role=Membership.Role.AUTHOR)
    membership_create(user=org.manager, unit=other, role=Membership.Role.REVIEWER)
    draft = _draft(org, "Exposition à la médiathèque.")
    sensitive = _draft(org, "Alerte canicule.", tier=PostTier.SENSITIVE)
    submitted = _draft(org, "Marché de Noël.")
    services.post_submit(post=submitted, by=org.officer)
    sport = services.post_create(by=writer, accounts=[sports_account], text="Course à pied.")
    client.force_login(org.manager)
    assert _found(client, account=str(sports_account.pk)) == [sport.pk]
    assert _found(client, unit=str(other.pk)) == [sport.pk]
    assert _found(client, author="camille") == [sport.pk]
    assert _found(client, author="Dupont", state="in_review") == [submitted.pk]
    assert _found(client, tier="sensitive") == [sensitive.pk]
    assert set(_found(client, unit=str(org.service.pk))) == {draft.pk, sensitive.pk, submitted.pk}


def test_search_filters_by_the_posts_date_in_the_readers_days(org: Org, client: Client) -> None:
    # 23:30 UTC on 9 March is already 10 March in Paris: the reader's day counts.
    late = _draft(org, "Le soir.", requested_publish_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC))
    _draft(org, "La veille.", requested_publish_at=datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    client.force_login(org.officer)
    assert _found(client, date_from="2026-03-10", date_to="2026-03-10") == [late.pk]


def test_search_refuses_a_range_the_wrong_way_round_and_keeps_it(org: Org, client: Client) -> None:
    client.force_login(org.officer)
    response = client.get(
        URL,
        {"q": "marché", "date_from": "2026-03-10", "date_to": "2026-03-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["page"] is None
    html = response.content.decode()
    assert "swap the two dates" in html
    assert 'value="marché"' in html and 'value="2026-03-10"' in html


def test_search_words_its_refusal_in_french(org: Org, client: Client) -> None:
    client.force_login(org.officer)
    response = client.get(
        URL, {"date_from": "2026-03-10", "date_to": "2026-03-01"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "inversez les deux dates" in response.content.decode()


def test_search_pages_25_results_and_keeps_the_filters(org: Org, client: Client) -> None:
    for n in range(30):
        _draft(org, f"Annonce numéro {n}.")
    client.force_login(org.officer)
    response = client.get(URL, {"q": "annonce", "page": "2"})
    page = response.context["page"]
    assert page.paginator.count == 30 and len(page.object_list) == 5
    assert 'href="?q=annonce&amp;page=1"' in response.content.decode()


def test_search_page_past_the_end_or_nonsense_shows_a_real_page(org: Org, client: Client) -> None:
    for n in range(30):
        _draft(org, f"Annonce numéro {n}.")
    client.force_login(org.officer)
    last = client.get(URL, {"q": "annonce", "page": "9"}).context["page"]
    assert (last.number, last.paginator.count, len(last.object_list)) == (2, 30, 5)
    first = client.get(URL, {"q": "annonce", "page": "deux"}).context["page"]
    assert (first.number, first.paginator.count, len(first.object_list)) == (1, 30, 25)
    none = client.get(URL, {"q": "introuvable"}).context["page"]
    assert (none.number, none.paginator.count, list(none.object_list)) == (1, 0, [])


def test_search_offers_only_the_units_of_the_posts_one_sees(org: Org, client: Client) -> None:
    elsewhere = make_unit(name="Direction lointaine", code="loin", parent=org.ministry)
    hidden = make_account(elsewhere, "bluesky")
    _draft(org, "Vide-grenier dimanche.")  # by the officer, whose unit is org.service
    client.force_login(org.officer)
    response = client.get(URL, {"unit": str(org.service.pk), "state": "draft"})
    form = response.context["form"]
    assert [pk for pk, _label in form.fields["unit"].choices][1:] == [org.service.pk]
    assert hidden.pk not in [pk for pk, _label in form.fields["account"].choices]
    html = response.content.decode()
    assert f'<option value="{org.service.pk}" selected>' in html
    assert '<option value="draft" selected>' in html
    assert "Direction lointaine" not in html
    # A unit not offered is refused, as an unknown one is.
    assert client.get(URL, {"unit": str(elsewhere.pk)}).context["page"] is None


def _queries(client: Client, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(queries)


def test_search_query_count_does_not_grow_with_the_results(org: Org, client: Client) -> None:
    client.force_login(org.manager)
    _draft(org, "Inauguration du gymnase.")
    _queries(client, q="inauguration")  # warm the session and caches
    one = _queries(client, q="inauguration")
    for n in range(19):
        _draft(org, f"Inauguration numéro {n}.")
    assert len(_found(client, q="inauguration")) == 20
    assert _queries(client, q="inauguration") == one


@pytest.mark.django_db
def test_search_text_vector_is_served_by_the_gin_index(org: Org) -> None:
    _draft(org, "Inauguration du gymnase.")
    # What the search filters on (through the post's current revision), on the table the
    # index is on.
    matching = Revision.objects.filter(
        text_search=SearchQuery("gymnase", config=SEARCH_CONFIG, search_type="websearch")
    )
    with connection.cursor() as cursor:
        # Sequential and plain index scans off: what remains is a bitmap scan, which needs an
        # index on the searched column; without one only the penalised sequential scan is
        # left. (Which plan the whole search takes depends on the tables' statistics: on a
        # small visible set the planner rightly starts elsewhere.)
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        sql, params = matching.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "editorial_revision_text_search_gin" in plan, plan
    assert "Seq Scan" not in plan, plan


@pytest.mark.django_db
def test_search_vector_is_stored_with_the_revision_and_follows_its_text(org: Org) -> None:
    # The database writes the vector with the row (a generated column): accented capitals
    # folded, French stems, and a new text gives a new vector without Django writing it.
    post = _draft(org, "Élections municipales : les bureaux de vote ouvrent à 8 heures.")
    revision = post.current_revision
    assert revision is not None
    stored = str(Revision.objects.values_list("text_search", flat=True).get(pk=revision.pk))
    assert "'élect'" in stored and "'municipal'" in stored, stored
    Revision.objects.filter(pk=revision.pk).update(text="Inauguration du gymnase.")
    stored = str(Revision.objects.values_list("text_search", flat=True).get(pk=revision.pk))
    assert "'gymnas'" in stored and "élect" not in stored, stored


def test_search_page_is_unknown_units_safe(org: Org, client: Client) -> None:
    client.force_login(org.officer)
    response = client.get(URL, {"unit": "999999", "state": "nonsense"})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert OrgUnit.objects.count() == 3


def test_search_form_fields_in_the_dsfr_markup_with_errors_tied_to_them(
    org: Org, client: Client
) -> None:
    client.force_login(org.manager)
    dates = {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    page = client.get(URL, dates, headers={"accept-language": "en"}).content.decode()
    # The filters' one-pass selects are DSFR selects; text and dates DSFR inputs.
    assert '<div class="fr-select-group">' in page
    assert re.search(r'<select[^>]*class="fr-select"[^>]*id="id_account"', page)
    assert 'class="fr-input"' in page
    # The refused date names its field in words, and the field points at them.
    assert "fr-input-group--error" in page
    assert 'aria-describedby="id_date_to-error"' in page
    assert '<p class="fr-error-text" id="id_date_to-error">' in page
    assert "swap the two dates" in page

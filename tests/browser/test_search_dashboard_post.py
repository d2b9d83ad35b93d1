"""The search page, the dashboard and the post page in Chromium, in French and in English:
the filters work, the dashboard shows each account's next post and freeze, the post page
names each link's part and folds the consultation form; no serious accessibility violation
and no sideways scroll at 360 px."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from editorial import services
from editorial.models import Post, PostState
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.browser.test_compose_approve import _login
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)
LANGUAGES = ["fr", "en"]
WORDS = {
    "fr": {
        "search": "Rechercher",
        "one": "1 publication trouvée",
        "open": "Publication ouverte",
        "frozen": "Publication gelée",
        "part": "Partie 1/2",
        "consult": "Consulter",
    },
    "en": {
        "search": "Search",
        "one": "1 post found",
        "open": "Publishing open",
        "frozen": "Publishing frozen",
        "part": "Part 1/2",
        "consult": "Consult",
    },
}


def _speak(page: Any, language: str) -> None:
    """Choose the language in the header's menu, as a reader does (it reloads the page)."""
    page.select_option("header select[name=language]", language)
    page.wait_for_selector(f"html[lang='{language}']")


@pytest.mark.parametrize("language", LANGUAGES)
def test_browser_search_filters_posts(page: Any, live_server: Any, org: Org, language: str) -> None:
    services.post_create(by=org.officer, accounts=[org.mastodon], text="Les élections approchent.")
    services.post_create(by=org.officer, accounts=[org.bluesky], text="Piscine fermée.")
    submitted = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Élection du conseil des jeunes."
    )
    services.post_submit(post=submitted, by=org.officer)
    _login(page, live_server, "officer")
    _speak(page, language)
    page.goto(f"{live_server.url}/search/")
    assert page.locator("#search-results tr.result").count() == 3
    page.fill("#id_q", "élection")
    page.select_option("#id_state", "in_review")
    page.click("#search-submit")
    page.wait_for_selector(f"#search-results tr.result[data-post='{submitted.pk}']")
    assert page.locator("#search-results tr.result").count() == 1
    assert page.text_content("#search-count").strip() == WORDS[language]["one"]
    assert page.input_value("#id_q") == "élection"  # the filters stay as typed
    assert_accessible(page)
    assert_no_sideways_scroll(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_browser_dashboard_shows_next_posts_and_freezes(
    page: Any, live_server: Any, org: Org, language: str
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Forum emploi.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager, at=timezone.now() + timedelta(days=2))
    services.freeze_create(account=org.bluesky, reason="Compte piraté ?", by=org.manager)
    _login(page, live_server, "manager")
    _speak(page, language)
    mastodon = page.locator(f"#account-{org.mastodon.pk}")
    assert f"#{post.pk} Forum emploi." in mastodon.text_content()
    assert WORDS[language]["open"] in mastodon.text_content()
    assert WORDS[language]["frozen"] in page.text_content(f"#account-{org.bluesky.pk}")
    assert page.text_content("#week-submitted").strip() == "1"
    assert_accessible(page)
    assert_no_sideways_scroll(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_browser_post_page_parts_and_folded_consultation(
    page: Any, live_server: Any, org: Org, language: str
) -> None:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Un fil en deux parties."
    )
    services.post_submit(post=post, by=org.officer)
    account = str(org.mastodon)
    links = [
        {
            "account": account,
            "part": n,
            "url": f"https://social.example.gouv.fr/@x/{n}",
            "state": "published",
        }
        for n in (0, 1)
    ]
    # What the publisher reports for a thread in two parts (set here: no network in this test).
    Post.objects.filter(pk=post.pk).update(remote_links=links)
    _login(page, live_server, "officer")
    _speak(page, language)
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    first = page.locator("#remote-links li[data-part='1']")
    assert WORDS[language]["part"] in first.text_content()
    assert "https://social.example.gouv.fr/@x/0" in first.text_content()
    assert not page.is_visible("#id_question")
    page.click("#ask-consultation-fold summary")
    assert page.is_visible("#id_question")
    assert WORDS[language]["consult"] in page.text_content("#ask-consultation-fold summary")
    assert post.state == PostState.DRAFT  # the page only reads
    assert_accessible(page)
    assert_no_sideways_scroll(page)

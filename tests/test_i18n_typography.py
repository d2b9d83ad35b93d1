"""French typography: a no-break space before the double punctuation marks (: ; ! ?), in
the catalogue and after the labels the templates put before a value."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from editorial import services
from tests.conftest import Org
from tests.test_i18n import _entries

# A mark that ends a clause (followed by a space, the end, or an escaped newline or quote)
# with no space before it, or an ordinary (breakable) one. "!!!", "?!" and "https:" are not
# clauses, nor JSON's "key": a mark preceded by another mark, a slash or a quote is left alone.
MISSING = re.compile(r"(?:[^\s\u00a0:;!?/«\"]| )[:;!?](?=\s|$|\\n|\\\")")


def test_i18n_french_catalogue_has_a_no_break_space_before_double_punctuation() -> None:
    wrong = [msgstr for _key, msgstr in _entries().items() if MISSING.search(msgstr)]
    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "label"), [("fr", "Auteur\u00a0: "), ("en", "Author: ")])
def test_post_page_label_suffix_in_each_language(org: Org, language: str, label: str) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Bonjour.")
    client = Client(headers={"accept-language": language})
    client.force_login(org.officer)
    page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert label + str(org.officer) in page.replace("&nbsp;", "\u00a0")

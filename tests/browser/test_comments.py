"""A comment with a mention, sent through htmx, and the history's word diff."""

from __future__ import annotations

from typing import Any

import pytest

from editorial import services
from editorial.models import Notification
from tests.browser.test_compose_approve import _login
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)


def test_browser_comment_mention_swaps_the_thread_in_place(
    page: Any, live_server: Any, org: Org
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Ouverture lundi.")
    services.post_update(
        post=post, by=org.officer, base_revision=1, text="Ouverture mardi.", language="fr"
    )
    _login(page, live_server, "officer")
    page.goto(f"{live_server.url}/posts/{post.pk}/")
    assert page.inner_text("#history .revision[data-revision='2'] ins") == "mardi"
    # A marker on the window survives an htmx swap but not a page load.
    page.evaluate("window.notReloaded = true")
    page.fill("#id_body", "@outsider regarde")
    page.click("#comment-send")
    page.wait_for_selector("#comment-error")
    assert page.input_value("#id_body") == "@outsider regarde"
    page.fill("#id_body", "@manager un avis <b>svp</b> ?")
    page.click("#comment-send")
    page.wait_for_selector("#comments .mention")
    assert page.inner_text("#comments .comment-body") == "@manager un avis <b>svp</b> ?"
    assert page.evaluate("window.notReloaded") is True
    assert Notification.objects.filter(recipient=org.manager, kind="mentioned").count() == 1

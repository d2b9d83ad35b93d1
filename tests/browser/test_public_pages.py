"""'Qui publie ici ?' in Chromium, in French and in English: the public pages without login,
and the account identity page's live byline preview. Accessible (axe-core), no sideways
scroll at 360 px, nothing the Content-Security-Policy refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial.models import Post, PostState
from publishing import services, tasks
from publishing.services import network
from tests.browser import second_factor
from tests.browser.a11y import assert_accessible, assert_no_sideways_scroll
from tests.conftest import Org
from tests.factories import make_user
from tests.publishing.conftest import FakeAdapter, RecordingTask, scheduled

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
# (browser locale, page language, the index's title in it, a word of the identity page)
LOCALES = [
    ("fr-FR", "fr", "Qui publie ici\u00a0?", "Aperçu"),
    ("en-GB", "en", "Who publishes here?", "Preview"),
]


@pytest.fixture(params=LOCALES, ids=[lang for _, lang, _, _ in LOCALES])
def localised(request: Any, browser: Any) -> Iterator[tuple[Any, str, str, str]]:
    locale, language, title, preview = request.param
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page, language, title, preview
    context.close()
    assert refused == [], refused


def _published(org: Org, monkeypatch: pytest.MonkeyPatch) -> Post:
    adapter = FakeAdapter()
    monkeypatch.setattr(network, "get_adapter", lambda network, **kw: adapter)
    # Sent here, in the test, rather than through a broker nobody listens to.
    recorder = RecordingTask()
    monkeypatch.setattr(tasks, "publish", recorder)
    monkeypatch.setattr(tasks, "publish_batch", recorder)
    post = scheduled(org)
    for pk in services.tick().queued:
        services.publication_send(publication_id=pk)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    return post


def test_browser_public_account_and_post_pages(
    localised: Any, live_server: Any, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, language, title, _preview = localised
    org.officer.job_title = "chargée de communication"
    org.officer.save()
    post = _published(org, monkeypatch)

    page.goto(f"{live_server.url}/public/")
    assert page.get_attribute("html", "lang") == language
    assert page.inner_text("h1") == title
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.click(f"text={org.mastodon.handle}")
    page.wait_for_url(f"**/public/a/{org.mastodon.pk}/")
    body = page.inner_text("main")
    assert "JD" in body and "chargée de communication" in body and "Dupont" not in body
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.click(f"a[href='/public/p/{post.pk}/']")
    page.wait_for_url(f"**/public/p/{post.pk}/")
    body = page.inner_text("main")
    assert "SICOM" in body and "ML" in body and "Leroy" not in body
    assert "Ouverture du guichet unique lundi." in body
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def _admin(org: Org) -> User:
    admin = make_user(username="unitadmin", first_name="Alice", last_name="Bernard")
    membership_create(user=admin, unit=org.service, role=Membership.Role.ADMIN)
    return admin


def _login(page: Any, live_server: Any, username: str) -> None:
    second_factor.prepare(username)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    second_factor.pass_second_factor(page, live_server.url, username)
    page.wait_for_url(f"{live_server.url}/")


def test_browser_account_identity_live_byline_preview(
    localised: Any, live_server: Any, org: Org, settings: Any
) -> None:
    page, language, _title, preview = localised
    settings.SITE_URL = live_server.url
    _admin(org)
    _login(page, live_server, "unitadmin")
    page.goto(f"{live_server.url}/accounts/{org.bluesky.pk}/identity/")
    assert page.get_attribute("html", "lang") == language
    assert preview in page.inner_text("main")
    assert page.inner_text("#byline-rendered") == "— SICOM ^AB"

    # Typed, not saved: the preview follows as the byline will be sent, the link clickable.
    page.fill("#id_byline_template", "— {unit} ^{initials} · {account_url}")
    link = f"{live_server.url}/public/a/{org.bluesky.pk}/"
    page.wait_for_selector(f"#byline-rendered a[href='{link}']")
    assert page.inner_text("#byline-rendered") == f"— SICOM ^AB · {link}"
    length = len(f"— SICOM ^AB · {link}")
    assert page.get_attribute(".pv-byline-preview", "data-length") == str(length)
    page.fill("#id_byline_template", "— {service}")
    page.wait_for_selector("#byline-error-1")
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.fill("#id_byline_template", "— {unit} ^{initials} · {url}")
    page.fill("#id_public_contact", "contact@mairie-exemple.fr")
    page.click("#identity-save")
    page.wait_for_selector(".messages")
    org.bluesky.refresh_from_db()
    assert org.bluesky.byline_template == "— {unit} ^{initials} · {url}"
    assert org.bluesky.public_contact == "contact@mairie-exemple.fr"

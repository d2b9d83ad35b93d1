"""Every page carries the Content-Security-Policy, holds nothing inline that it would refuse,
and pages for signed-in users are never cached (issue #13)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

from accounts.cache_control import PrivateCacheMiddleware
from accounts.models import User
from editorial import services
from editorial.models import RevisionMedia
from tests.conftest import Org
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# Executable script types: a <script> of another type (JSON data) is not run, so allowed.
_SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


class _InlineFinder(HTMLParser):
    """What script-src 'self' / style-src 'self' would refuse in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name: value or "" for name, value in attrs}
        for name, value in names.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f"<{tag} style=…>")
            if name in {"href", "src", "action"} and value.strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            kind = names.get("type", "").strip().lower()
            self._script_without_src = "src" not in names and kind in _SCRIPT_TYPES

    def handle_data(self, data: str) -> None:
        if self._script_without_src and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}…")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_without_src = False


def inline_code(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.found


def test_inline_finder_finds_what_the_policy_refuses() -> None:
    page = (
        '<select onchange="go()"></select><p style="color:red"></p><style>p{}</style>'
        "<script>alert(1)</script><a href='javascript:x()'>x</a>"
        '<script src="/static/a.js"></script><script type="application/json">{}</script>'
    )
    assert len(inline_code(page)) == 5


def _app_patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # the admin's pages are listed by model below
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _app_patterns(entry.url_patterns, namespace)
        elif entry.name:
            yield prefix + entry.name, entry


def _every_url(org: Org) -> list[str]:
    """Every named URL of the app (ids filled with a real post, image and account, or 1),
    plus the admin's index and every registered model's list and add pages."""
    post = services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text="Une carte.",
        language="fr",
        media=[services.MediaInput(filename="carte.png", data=_png(), alt_text="Carte")],
    )
    media = RevisionMedia.objects.get(revision__post=post)
    ids = {"pk": post.pk, "media_id": media.pk}
    urls = []
    for name, pattern in _app_patterns(get_resolver().url_patterns):
        kwargs = {key: ids.get(key, 1) for key in pattern.pattern.regex.groupindex}
        urls.append(reverse(name, kwargs=kwargs))
    urls.append(reverse("admin:index"))
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return urls


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 145)).save(buffer, "PNG")
    return buffer.getvalue()


def _superuser() -> User:
    user = make_user(username="root", is_staff=True, is_superuser=True)
    return user


def _assert_strict_csp(url: str, response: HttpResponseBase) -> None:
    policy = response.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, _space, value = part.strip().partition(" ")
        directives[name] = value
    assert directives.get("default-src") == "'self'", url
    assert directives.get("script-src") == "'self'", url
    # The calendar gives FullCalendar's <style> a nonce: django-csp adds it where it is read.
    style_src = re.sub(r" 'nonce-[A-Za-z0-9+/]+={0,2}'$", "", directives.get("style-src", ""))
    assert style_src == "'self'", url
    assert style_src == directives.get("style-src") or url == reverse("editorial:calendar"), url
    assert directives.get("img-src") == "'self' data:", url
    assert directives.get("frame-ancestors") == "'none'", url
    assert directives.get("object-src") == "'none'", url
    form_action = directives.get("form-action", "")
    assert form_action.startswith("'self'"), url
    if not url.startswith("/accounts/"):
        assert form_action == "'self'", url
    assert "unsafe" not in policy, url


def test_every_page_has_the_csp_and_nothing_inline_for_a_signed_in_superuser(org: Org) -> None:
    client = Client()
    client.force_login(_superuser())
    checked = 0
    for url in _every_url(org):
        response = client.get(url)
        assert response.status_code < 500, url
        _assert_strict_csp(url, response)
        cache = response.get("Cache-Control", "")
        assert "private" in cache and "no-store" in cache, url
        if response.get("Content-Type", "").startswith("text/html"):
            assert inline_code(response.content.decode()) == [], url
            checked += 1
    assert checked > 40  # the walk did reach the pages, not only redirects


def test_every_page_has_the_csp_for_an_anonymous_visitor(org: Org) -> None:
    client = Client()
    for url in [*_every_url(org), reverse("login"), reverse("admin:login")]:
        response = client.get(url)
        assert response.status_code < 500, url
        _assert_strict_csp(url, response)
        if response.get("Content-Type", "").startswith("text/html"):
            assert inline_code(response.content.decode()) == [], url


def test_accounts_page_lets_the_mastodon_form_reach_the_instance(org: Org) -> None:
    client = Client()
    client.force_login(_superuser())
    policy = client.get(reverse("publishing:accounts"))["Content-Security-Policy"]
    assert "form-action 'self' https:" in policy


def test_signed_in_pages_are_private_and_not_stored(org: Org) -> None:
    client = Client()
    client.force_login(org.officer)
    response = client.get(reverse("editorial:dashboard"))
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


def _through_middleware(user: Any) -> HttpResponse:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("page")
        response["Cache-Control"] = "public, max-age=600"
        return response

    request = RequestFactory().get("/")
    request.user = user
    response = PrivateCacheMiddleware(view)(request)
    assert isinstance(response, HttpResponse)
    return response


def test_private_cache_leaves_anonymous_responses_as_their_view_made_them() -> None:
    assert _through_middleware(AnonymousUser())["Cache-Control"] == "public, max-age=600"


def test_private_cache_overrides_public_for_a_signed_in_user(org: Org) -> None:
    directives = {d.strip() for d in _through_middleware(org.officer)["Cache-Control"].split(",")}
    assert "public" not in directives
    assert {"private", "no-store"} <= directives


def test_anonymous_redirect_to_login_is_not_marked_private(org: Org) -> None:
    response = Client().get(reverse("editorial:dashboard"))
    assert response.status_code == 302
    assert "private" not in response.get("Cache-Control", "")

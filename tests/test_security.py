"""Every page and endpoint is closed to anonymous visitors, and every write needs CSRF.

The routes are enumerated from the URL configuration, so a view added later without
``login_required`` fails here rather than in production.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# Reachable without a session on purpose.
PUBLIC = {
    "login",
    "logout",
    "set_language",
    "publishing:healthz",  # liveness probe: says only "ok"
    "publishing:metrics",  # bearer token (METRICS_TOKEN), tested in tests/publishing
    # "Qui publie ici ?": published posts and public profiles only (tests/publishing/
    # test_public_pages.py checks nothing else shows: drafts, names without consent, keys).
    "publishing:public_accounts",
    "publishing:public_account",
    "publishing:public_post",
    # The footer's legal notice and accessibility statement: public by law.
    "legal_notice",
    "accessibility",
}


def _routes(resolver: URLResolver | None = None, prefix: str = "", ns: str = "") -> list[Any]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # Django's admin guards itself (staff login)
            child_ns = f"{ns}{entry.namespace}:" if entry.namespace else ns
            found += _routes(entry, prefix + str(entry.pattern), child_ns)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{ns}{entry.name}", prefix + str(entry.pattern)))
    return found


def _concrete(pattern: str) -> str:
    path = re.sub(r"<int:\w+>", "1", pattern)
    path = re.sub(r"<(?:str|slug|uuid|path):?\w*>", "x", path)
    return "/" + path.lstrip("^").rstrip("$")


ROUTES = [(name, _concrete(pattern)) for name, pattern in _routes() if name not in PUBLIC]


def test_security_enumeration_finds_the_apps_routes() -> None:
    names = {name for name, _path in ROUTES}
    assert {"editorial:post", "editorial:approve", "publishing:accounts"} <= names
    assert len(ROUTES) > 30


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), ROUTES, ids=[n for n, _p in ROUTES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_security_anonymous_visitors_are_sent_to_login(name: str, path: str, method: str) -> None:
    response = getattr(Client(), method)(path)
    if response.status_code == 405:
        return  # the method is refused before anything else: nothing to leak
    assert response.status_code == 302, f"{name} answered {response.status_code}"
    # Staff pages send to the admin's own login.
    assert response["Location"].startswith(("/login/", "/admin/login/")), f"{name} leaks"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), ROUTES, ids=[n for n, _p in ROUTES])
def test_security_posts_without_csrf_token_are_refused(name: str, path: str, org: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.manager)
    response = client.post(path)
    assert response.status_code in {403, 405}, f"{name} accepted a POST without CSRF"

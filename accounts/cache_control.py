"""``Cache-Control: private, no-store`` on every response to a signed-in user.

Pages behind the login show unpublished posts, names and reviews: no shared cache (a proxy, a
CDN) may keep them, and the browser must not either (a shared office computer: the back button
after logging out would show them again). Responses to anonymous visitors keep whatever their
view set; static files are served before Django (nginx, or runserver's static handler).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control


class PrivateCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # patch_cache_control drops a "public" the view may have set.
            patch_cache_control(response, private=True, no_store=True)
        return response

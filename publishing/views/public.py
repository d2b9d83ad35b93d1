"""The public pages, no login ("Qui publie ici ?"): every active account, who speaks on
each, and each published post with its byline expanded. Reads ``publishing.public`` only.

Anyone may cache them a little: they show nothing private (see ``publishing.public``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from publishing import public


@require_safe
def public_accounts(request: HttpRequest) -> HttpResponse:
    accounts = public.public_accounts().order_by("unit__name", "network", "handle")
    return render(request, "publishing/public/accounts.html", {"accounts": accounts})


@require_safe
def public_account(request: HttpRequest, pk: int) -> HttpResponse:
    page = public.account_page(public.public_account_or_404(pk))
    return render(request, "publishing/public/account.html", {"page": page})


@require_safe
def public_post(request: HttpRequest, pk: int) -> HttpResponse:
    page = public.post_page(public.public_post_or_404(pk))
    return render(request, "publishing/public/post.html", {"page": page})

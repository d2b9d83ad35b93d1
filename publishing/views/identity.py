"""Who speaks, as its people set it: an account's public profile and byline template (its
unit's administrators, with a live preview of the byline as it will be sent) and an agent's
own function and consent to be named. The writes are ``accounts.identity``'s services."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts import bylines, permissions
from accounts.identity import social_account_set_identity, user_set_public_profile
from accounts.models import SocialAccount, User
from accounts.services import OrganisationError
from charter.counting import BLUESKY_MAX_GRAPHEMES, bluesky_graphemes, status_length
from publishing import public
from publishing.identity_forms import AccountIdentityForm, PublicProfileForm


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # behind login_required
    return request.user


def _administered(request: HttpRequest, pk: int) -> SocialAccount:
    account = get_object_or_404(SocialAccount.objects.select_related("unit"), pk=pk)
    permissions.require_unit_admin(_user(request), account.unit)
    return account


@dataclass(frozen=True)
class BylinePreview:
    byline: str
    length: int
    limit: int
    errors: list[str]
    has_url: bool  # the template has {url}: the preview shows a stand-in address


def byline_preview(account: SocialAccount, template: str, user: User) -> BylinePreview:
    """The byline as the account will send it, signed by ``user`` in the account's unit
    (``{url}``: the stand-in address of a post not saved yet), and what it takes of the
    network's limit, counted as the charter counts."""
    errors = bylines.template_errors(template)
    byline = bylines.render(
        template,
        unit_code=account.unit.code.upper(),
        initials=user.get_initials(),
        account_id=account.pk,
    )
    if account.network == SocialAccount.Network.BLUESKY:
        length, limit = bluesky_graphemes(byline), BLUESKY_MAX_GRAPHEMES
    else:
        length = status_length(
            byline,
            counting=account.length_counting,
            url_length=account.characters_reserved_per_url,
        )
        limit = account.max_characters
    return BylinePreview(
        byline=byline, length=length, limit=limit, errors=errors, has_url="{url}" in template
    )


def _initial(account: SocialAccount) -> dict[str, str]:
    return {
        "byline_template": account.byline_template,
        "public_description": account.public_description,
        "public_contact": account.public_contact,
        "moderation_policy": account.moderation_policy,
    }


@login_required
def account_identity(request: HttpRequest, pk: int) -> HttpResponse:
    account = _administered(request, pk)
    user = _user(request)
    form = AccountIdentityForm(request.POST or None, initial=_initial(account))
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        try:
            held = social_account_set_identity(account=account, identity=form.identity(), by=user)
        except OrganisationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The account's public identity is saved."))
            for line in held:
                messages.warning(request, line)
            return redirect("publishing:account_identity", pk=account.pk)
    template = form.data.get("byline_template", account.byline_template)
    context = {
        "account": account,
        "form": form,
        "preview": byline_preview(account, str(template), user),
    }
    return render(request, "publishing/identity/account.html", context)


@login_required
@require_safe
def account_byline_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The identity page's live preview (htmx, as the template is typed)."""
    account = _administered(request, pk)
    template = request.GET.get("byline_template", "")[:200]
    preview = byline_preview(account, template, _user(request))
    return render(
        request,
        "publishing/identity/_byline_preview.html",
        {"account": account, "preview": preview},
    )


@login_required
def public_profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    initial = {"job_title": user.job_title, "public_name_consent": user.public_name_consent}
    form = PublicProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_public_profile(
                user=user,
                job_title=form.cleaned_data["job_title"],
                public_name_consent=form.cleaned_data["public_name_consent"],
                by=user,
            )
        except OrganisationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your public profile is saved."))
            return redirect("publishing:public_profile")
    shown = public.public_person(user, initials=user.get_initials())
    return render(request, "publishing/identity/profile.html", {"form": form, "shown": shown})

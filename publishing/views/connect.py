"""Connecting official accounts, and testing a connection, for the units one administers.

Mastodon: the OAuth authorization-code flow (the state is kept in the session, single use,
checked in constant time, valid ``OAUTH_STATE_TTL``). Bluesky: handle and app password.
Secrets go straight to the encrypted fields; no page ever shows them.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from accounts.crypto import CredentialsError
from accounts.models import SocialAccount, User
from publishing.adapters.base import PublishError
from publishing.forms import BlueskyConnectForm, MastodonConnectForm
from publishing.services import account_check_connection
from publishing.services.connection import (
    bluesky_connect,
    mastodon_connect_finish,
    mastodon_connect_start,
)

SESSION_KEY = "mastodon_oauth"
OAUTH_STATE_TTL = 15 * 60


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _units(user: User) -> Any:
    units = permissions.units_managed_by(user)
    if not units.exists():
        raise PermissionDenied(_("Only administrators of a unit can connect its accounts."))
    return units


@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    units = _units(user)
    return _page(
        request,
        mastodon_form=MastodonConnectForm(units=units),
        bluesky_form=BlueskyConnectForm(units=units),
    )


def _page(
    request: HttpRequest,
    *,
    mastodon_form: MastodonConnectForm,
    bluesky_form: BlueskyConnectForm,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    rows = (
        SocialAccount.objects.filter(unit__in=permissions.units_managed_by(user))
        .select_related("unit")
        .order_by("unit__name", "network", "handle")
    )
    response = render(
        request,
        "publishing/accounts.html",
        {"accounts": rows, "mastodon_form": mastodon_form, "bluesky_form": bluesky_form},
        status=status,
    )
    # The Mastodon form is answered by a redirect to the instance's OAuth page, and browsers
    # apply the page's form-action to that redirect: any instance may be typed, so this page
    # (and only this one) lets a form lead to another HTTPS origin.
    response._csp_update = {  # type: ignore[attr-defined]  # django-csp's csp_update, per page
        "form-action": ["https:", *(["http:"] if settings.PUBLISH_ALLOW_HTTP else [])]
    }
    return response


@login_required
@require_POST
def connect_mastodon(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    units = _units(user)
    form = MastodonConnectForm(request.POST, units=units)
    if not form.is_valid():
        return _page(
            request, mastodon_form=form, bluesky_form=BlueskyConnectForm(units=units), status=400
        )
    unit = form.cleaned_data["unit"]
    try:
        start = mastodon_connect_start(
            instance_url=form.cleaned_data["instance_url"],
            unit=unit,
            by=user,
            language=get_language() or "en",
        )
    except PublishError as exc:
        messages.error(request, _("The instance refused: %(error)s") % {"error": exc.message})
        return redirect("publishing:accounts")
    request.session[SESSION_KEY] = {
        "state": start.state,
        "instance": start.instance_url,
        "unit": unit.pk,
        "at": time.time(),
    }
    return HttpResponseRedirect(start.authorize_url)


@login_required
@require_GET
def connect_mastodon_callback(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    pending = request.session.pop(SESSION_KEY, None)  # single use, whatever happens next
    state = request.GET.get("state", "")
    if (
        not isinstance(pending, dict)
        or not state
        or not hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode())
        or time.time() - float(pending.get("at", 0)) > OAUTH_STATE_TTL
    ):
        messages.error(
            request,
            _(
                "This authorisation does not match the one started here, or it expired: "
                "start again."
            ),
        )
        return redirect("publishing:accounts")
    if "error" in request.GET or not request.GET.get("code"):
        messages.error(request, _("The instance did not authorise Porte-voix: nothing was stored."))
        return redirect("publishing:accounts")
    unit = get_object_or_404(permissions.units_managed_by(user), pk=pending["unit"])
    try:
        account, created = mastodon_connect_finish(
            instance_url=str(pending["instance"]), unit=unit, code=request.GET["code"], by=user
        )
    except PublishError as exc:
        messages.error(request, _("Connection failed: %(error)s") % {"error": exc.message})
        return redirect("publishing:accounts")
    _connected(request, account, created)
    return redirect("publishing:accounts")


def _connected(request: HttpRequest, account: SocialAccount, created: bool) -> None:
    if created:
        messages.success(request, _("%(account)s is connected.") % {"account": account})
    else:
        messages.success(
            request, _("%(account)s is reconnected with new credentials.") % {"account": account}
        )


@login_required
@require_POST
def connect_bluesky(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    units = _units(user)
    form = BlueskyConnectForm(request.POST, units=units)
    if not form.is_valid():
        return _page(
            request, mastodon_form=MastodonConnectForm(units=units), bluesky_form=form, status=400
        )
    try:
        account, created = bluesky_connect(
            handle=form.cleaned_data["handle"],
            app_password=form.cleaned_data["app_password"],
            unit=form.cleaned_data["unit"],
            by=user,
        )
    except PublishError as exc:
        form.add_error(None, exc.message)
        return _page(
            request, mastodon_form=MastodonConnectForm(units=units), bluesky_form=form, status=400
        )
    _connected(request, account, created)
    return redirect("publishing:accounts")


@login_required
@require_POST
def test_connection(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    account = get_object_or_404(
        SocialAccount.objects.filter(unit__in=permissions.units_managed_by(user)), pk=pk
    )
    try:
        identity = account_check_connection(account_id=account.pk)
    except (PublishError, CredentialsError) as exc:
        error = exc.message if isinstance(exc, PublishError) else str(exc)
        messages.error(
            request,
            _("%(account)s: the connection fails: %(error)s")
            % {"account": account, "error": error},
        )
    else:
        account.refresh_from_db()
        if account.server_software:
            # What was just detected, so the administrator sees what the counting follows.
            messages.success(
                request,
                _("%(account)s: the connection works (%(identity)s); server: %(software)s.")
                % {"account": account, "identity": identity, "software": account.server_software},
            )
        else:
            messages.success(
                request,
                _("%(account)s: the connection works (%(identity)s).")
                % {"account": account, "identity": identity},
            )
    return redirect("publishing:accounts")

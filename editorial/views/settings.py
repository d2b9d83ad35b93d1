"""Configuration without the Django admin: the hub, members and roles, rights on one account.

For unit administrators (role ADMIN in a unit or a unit above it; superusers everywhere):
every page is scoped to ``permissions.units_managed_by`` (404 outside it) and every change
goes through the accounts services, which check the right again, sync the derived
permissions and record the change in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import organisation, permissions
from accounts import services as accounts_services
from accounts.models import AccountGrant, Membership, SocialAccount, User
from editorial.forms.settings import GrantForm, MemberAddForm
from editorial.policies.freezes import may_freeze
from editorial.selectors import configuration
from editorial.views.common import request_user


@dataclass(frozen=True)
class Area:
    """A card of the hub. ``url_name`` not (yet) defined: the card is left out, so a screen
    built on another branch appears by adding its line here."""

    url_name: str
    title: Promise
    description: Promise
    shown_to: Callable[[User], bool] | None = None


def _may_freeze(user: User) -> bool:
    publishes = permissions.accounts_for(user, permissions.Perm.PUBLISH).exists()
    return publishes or may_freeze(user, None)


AREAS: list[Area] = [
    Area(
        "editorial:settings_elections",
        gettext_lazy("Election periods"),
        gettext_lazy("Declare the elections your units must stay neutral for."),
    ),
    Area(
        "editorial:freezes",
        gettext_lazy("Freezes"),
        gettext_lazy("Stop publishing on an account at once, and lift it."),
        _may_freeze,
    ),
    Area(
        "editorial:settings_chains",
        gettext_lazy("Approval chains"),
        gettext_lazy("Who approves which posts, step by step."),
    ),
    Area(
        "editorial:settings_charters",
        gettext_lazy("Charters"),
        gettext_lazy("The rules every post is checked against, and their versions."),
    ),
    # Each account's public identity and byline (publishing:account_identity) is linked from
    # its unit's card, next to the account's rights.
]


def _area_links(user: User) -> list[tuple[Area, str]]:
    links = []
    for area in AREAS:
        if area.shown_to is None or area.shown_to(user):
            links.append((area, reverse(area.url_name)))
    return links


@login_required
def settings_hub(request: HttpRequest) -> HttpResponse:
    """One card per unit the person administers (members, rights on its accounts), then the
    areas that concern every unit. Someone who administers nothing is told so (403)."""
    user = request_user(request)
    units = list(configuration.managed_units(user))
    if not units:
        return render(request, "editorial/settings/hub.html", {"units": []}, status=403)
    accounts: dict[int, list[SocialAccount]] = {}
    for account in configuration.managed_accounts(user):
        accounts.setdefault(account.unit_id, []).append(account)
    return render(
        request,
        "editorial/settings/hub.html",
        {
            "units": [(unit, accounts.get(unit.pk, [])) for unit in units],
            "areas": _area_links(user),
        },
    )


def _refusal(error: Exception) -> str:
    if isinstance(error, PermissionDenied):
        return _("You do not administer this unit: ask an administrator of it or above it.")
    return str(error)


@login_required
def unit_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit's members and their roles; give a role to a person (POST)."""
    user = request_user(request)
    unit = get_object_or_404(configuration.managed_units(user), pk=pk)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person, role = form.cleaned_data["person"], form.cleaned_data["role"]
        try:
            accounts_services.membership_create(user=person, unit=unit, role=role, by=user)
        except (PermissionDenied, accounts_services.OrganisationError) as error:
            messages.error(request, _refusal(error))
        else:
            messages.success(
                request,
                _("%(person)s is now %(role)s in %(unit)s.")
                % {
                    "person": person,
                    "role": Membership.Role(role).label,
                    "unit": unit.code,
                },
            )
            return redirect("editorial:settings_members", pk=unit.pk)
    return render(
        request,
        "editorial/settings/members.html",
        {
            "unit": unit,
            "rows": configuration.unit_members(unit),
            "above": configuration.administrators_above(unit),
            "form": form,
        },
    )


@login_required
@require_POST
def membership_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a role away: the rights it gave end now (accounts.permissions.sync_user)."""
    user = request_user(request)
    managed = Membership.objects.filter(unit__in=permissions.units_managed_by(user))
    membership = get_object_or_404(managed.select_related("user", "unit"), pk=pk)
    try:
        accounts_services.membership_delete(membership=membership, by=user)
    except (PermissionDenied, accounts_services.OrganisationError) as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(
            request,
            _("%(person)s is no longer %(role)s in %(unit)s: the rights of this role ended.")
            % {
                "person": membership.user,
                "role": membership.get_role_display(),
                "unit": membership.unit.code,
            },
        )
    return redirect("editorial:settings_members", pk=membership.unit_id)


@login_required
def account_rights(request: HttpRequest, pk: int) -> HttpResponse:
    """Who may do what on the account, and from where; give one right to a person (POST)."""
    user = request_user(request)
    account = get_object_or_404(configuration.managed_accounts(user), pk=pk)
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person, right = form.cleaned_data["person"], form.cleaned_data["right"]
        try:
            organisation.account_grant_create(user=person, account=account, right=right, by=user)
        except (PermissionDenied, ValueError) as error:
            messages.error(request, _refusal(error))
        else:
            messages.success(
                request,
                _("%(person)s was given “%(right)s” on %(account)s.")
                % {"person": person, "right": AccountGrant.Right(right).label, "account": account},
            )
            return redirect("editorial:settings_rights", pk=account.pk)
    return render(
        request,
        "editorial/settings/rights.html",
        {
            "account": account,
            "rights": [label for _perm, label in configuration.RIGHTS],
            "rows": configuration.account_rights(account),
            "form": form,
        },
    )


@login_required
@require_POST
def grant_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """End one individual grant; a right a role still gives stays (shown on the page)."""
    user = request_user(request)
    managed = AccountGrant.objects.filter(account__unit__in=permissions.units_managed_by(user))
    grant = get_object_or_404(managed.select_related("user", "account"), pk=pk)
    try:
        organisation.account_grant_delete(grant=grant, by=user)
    except PermissionDenied as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(
            request,
            _("The grant “%(right)s” of %(person)s on %(account)s ended.")
            % {
                "right": grant.get_right_display(),
                "person": grant.user,
                "account": grant.account,
            },
        )
    return redirect("editorial:settings_rights", pk=grant.account_id)

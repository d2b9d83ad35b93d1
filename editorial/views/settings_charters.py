"""Charters without the Django admin: the charters of the units a member administers, a
charter with its versions, a new version (rules on or off, severities, word lists) and the
difference between two versions. A version is never edited: saving records the next one
through ``charter.services.charter_version_create`` (validated, audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from accounts.models import User
from charter import services as charter_services
from charter.models import Charter, CharterVersion
from charter.version_diff import diff_versions, rule_states
from editorial.forms.settings_rules import CharterCreateForm, CharterVersionForm
from editorial.selectors import settings_rules as rules
from editorial.views.common import request_user

REFUSED = gettext_lazy("Only the administrators of a unit configure its charter.")


def _refusal(request: HttpRequest) -> HttpResponse:
    """The refusal in words, with a way back (Django's bare 403 page says nothing)."""
    return render(
        request, "editorial/settings/chains_refused.html", {"message": REFUSED}, status=403
    )


def _charter(user: User, pk: int) -> Charter:
    charter: Charter = get_object_or_404(rules.charters_manageable_by(user), pk=pk)
    return charter


@login_required
@require_GET
def charters(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    return _list(request, user, CharterCreateForm(units=permissions.units_managed_by(user)))


def _list(request: HttpRequest, user: User, form: CharterCreateForm) -> HttpResponse:
    context = {"charters": list(rules.charters_manageable_by(user)), "create_form": form}
    return render(request, "editorial/settings/charters.html", context)


@login_required
@require_POST
def charter_create(request: HttpRequest) -> HttpResponse:
    """A charter for one of the user's units; then its first version is written."""
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    form = CharterCreateForm(request.POST, units=permissions.units_managed_by(user))
    if form.is_valid():
        try:
            charter = charter_services.charter_create(
                name=form.cleaned_data["name"], unit=form.cleaned_data["unit"], by=user
            )
        except PermissionDenied:
            form.add_error(None, str(REFUSED))
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect("editorial:settings_charter_edit", pk=charter.pk)
    return _list(request, user, form)


@login_required
@require_GET
def charter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The charter's versions, the latest one rule by rule, and a choice of two to compare."""
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    charter = _charter(user, pk)
    versions = list(rules.charter_versions(charter))
    latest = versions[0] if versions else None
    states = rule_states(latest.params if latest is not None else {})
    return render(
        request,
        "editorial/settings/charters_detail.html",
        {"charter": charter, "versions": versions, "latest": latest, "states": states},
    )


@login_required
def charter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The next version, starting from the latest; nothing is lost when it is refused."""
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    charter = _charter(user, pk)
    latest = rules.charter_versions(charter).first()
    current = latest.params if latest is not None else {}
    data = request.POST if request.method == "POST" else None
    form = CharterVersionForm(data, states=rule_states(current))
    if data is not None and form.is_valid():
        version = _create(form, charter, user, current)
        if version is not None:
            messages.success(
                request, _("Version %(number)d recorded.") % {"number": version.number}
            )
            if latest is None:
                return redirect("editorial:settings_charter", pk=charter.pk)
            return redirect(f"{_diff_url(charter)}?from={latest.number}&to={version.number}")
    return render(
        request,
        "editorial/settings/charters_edit.html",
        {"charter": charter, "form": form, "latest": latest},
    )


def _create(
    form: CharterVersionForm, charter: Charter, user: User, current: dict[str, Any]
) -> CharterVersion | None:
    params = form.params()
    if not diff_versions(current, params):
        form.add_error(None, _("Nothing changed: the latest version already says this."))
        return None
    try:
        return charter_services.charter_version_create(charter=charter, params=params, by=user)
    except PermissionDenied:
        form.add_error(None, str(REFUSED))
    except ValidationError as exc:
        form.add_error(None, exc.messages)
    return None


def _diff_url(charter: Charter) -> str:
    return reverse("editorial:settings_charter_diff", kwargs={"pk": charter.pk})


@login_required
@require_GET
def charter_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """What changed between two versions, rule by rule (``?from=1&to=3``; by default the
    latest against the one before)."""
    user = request_user(request)
    if not rules.may_configure(user):
        return _refusal(request)
    charter = _charter(user, pk)
    versions = {v.number: v for v in rules.charter_versions(charter)}
    numbers = sorted(versions, reverse=True)
    old, new = _pair(request, numbers)
    context: dict[str, Any] = {"charter": charter, "numbers": numbers}
    if old is not None and new is not None:
        context.update(
            old=versions[old],
            new=versions[new],
            changes=diff_versions(versions[old].params, versions[new].params),
        )
    return render(request, "editorial/settings/charters_diff.html", context)


def _pair(request: HttpRequest, numbers: list[int]) -> tuple[int | None, int | None]:
    """The two version numbers asked for; unknown or missing: the latest two."""

    def number(name: str, default: int | None) -> int | None:
        given = request.GET.get(name, "")
        return int(given) if given.isdigit() and int(given) in numbers else default

    if not numbers:
        return None, None
    return number("from", numbers[1] if len(numbers) > 1 else numbers[0]), number("to", numbers[0])

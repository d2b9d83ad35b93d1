"""Election periods without the Django admin: list, declare, change and remove the elections
of the units one administers (``charter.services``: the right checked again, the change
audited, scheduled posts that now fall in a silence or a pre-electoral period held)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from charter import services as charter_services
from charter.elections import pre_electoral_start
from charter.models import ElectionWindow
from editorial.forms.settings import ElectionWindowForm, ReferentForm
from editorial.selectors import configuration
from editorial.views.common import request_user


def _form(request: HttpRequest, user: User, window: ElectionWindow | None) -> ElectionWindowForm:
    return ElectionWindowForm(
        request.POST or None,
        instance=window,
        units=configuration.managed_units(user),
        org_wide=charter_services.may_manage_charter(user, None),
    )


def _save(request: HttpRequest, user: User, form: ElectionWindowForm) -> bool:
    """Save through the service; a refusal lands on the form, in words."""
    try:
        saved = charter_services.election_window_save(window=form.instance, by=user)
    except ValidationError as error:
        form.add_error(None, error)
        return False
    except PermissionDenied:
        form.add_error("unit", _("You do not administer this unit: choose one of yours."))
        return False
    messages.success(request, _("Election “%(name)s” saved.") % {"name": saved.window.name})
    if saved.held:
        messages.warning(
            request,
            _("%(n)d scheduled post(s) are now held by the charter: %(posts)s")
            % {"n": len(saved.held), "posts": " ".join(saved.held)},
        )
    return True


def _require_admin(user: User) -> None:
    if not configuration.managed_units(user).exists():
        raise PermissionDenied(_("Only unit administrators declare election periods."))


@login_required
def elections(request: HttpRequest) -> HttpResponse:
    """The elections of the units one administers; declare one (POST)."""
    user = request_user(request)
    _require_admin(user)
    form = _form(request, user, None)
    if request.method == "POST" and form.is_valid() and _save(request, user, form):
        return redirect("editorial:settings_elections")
    windows = list(configuration.manageable_windows(user))
    return render(
        request,
        "editorial/settings/elections.html",
        {
            "form": form,
            "rows": [(w, w.window_start or pre_electoral_start(w.first_round)) for w in windows],
            "referents": list(configuration.manageable_referents(user)),
            "referent_form": _referent_form(None, user),
        },
    )


def _referent_form(data: object, user: User) -> ReferentForm:
    return ReferentForm(
        data,
        prefix="referent",  # its fields sit on the elections page, next to the election's
        units=configuration.managed_units(user),
        org_wide=charter_services.may_manage_charter(user, None),
    )


@login_required
@require_POST
def referent_add(request: HttpRequest) -> HttpResponse:
    """Designate an electoral referent: they approve the political tier's step and alone may
    waive an institution's-record finding in a pre-electoral period (charter.services)."""
    user = request_user(request)
    _require_admin(user)
    form = _referent_form(request.POST, user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("editorial:settings_elections")
    person, unit = form.cleaned_data["person"], form.cleaned_data["unit"]
    try:
        charter_services.electoral_referent_designate(user=person, unit=unit, by=user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied:
        messages.error(request, _("You do not administer this unit: choose one of yours."))
    else:
        where = unit.code if unit is not None else _("the whole organisation")
        messages.success(
            request,
            _("%(person)s is now the electoral referent of %(unit)s.")
            % {"person": person, "unit": where},
        )
    return redirect("editorial:settings_elections")


@login_required
@require_POST
def referent_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    referent = get_object_or_404(configuration.manageable_referents(user), pk=pk)
    try:
        charter_services.electoral_referent_remove(referent=referent, by=user)
    except PermissionDenied:
        messages.error(request, _("You do not administer the unit of this referent."))
    else:
        messages.success(
            request,
            _("%(person)s is no longer an electoral referent.") % {"person": referent.user},
        )
    return redirect("editorial:settings_elections")


@login_required
def election_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    window = get_object_or_404(configuration.manageable_windows(user), pk=pk)
    form = _form(request, user, window)
    if request.method == "POST" and form.is_valid() and _save(request, user, form):
        return redirect("editorial:settings_elections")
    return render(
        request, "editorial/settings/election_edit.html", {"form": form, "window": window}
    )


@login_required
@require_POST
def election_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an election; the posts it held stay held until someone schedules them again."""
    user = request_user(request)
    window = get_object_or_404(configuration.manageable_windows(user), pk=pk)
    try:
        charter_services.election_window_delete(window=window, by=user)
    except PermissionDenied:
        messages.error(request, _("You do not administer the unit of this election."))
    else:
        messages.success(
            request,
            _(
                "Election “%(name)s” removed. Posts it held stay held until someone schedules "
                "them again."
            )
            % {"name": window.name},
        )
    return redirect("editorial:settings_elections")

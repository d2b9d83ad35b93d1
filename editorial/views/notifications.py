"""Each member's choice of the notifications they receive by email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from editorial import emails
from editorial.forms.members import NotificationPreferencesForm
from editorial.views.posts import _user


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    kinds = emails.kinds()
    pref = emails.preference_for(user)
    initial: dict[str, object] = {
        f"email_{value}": value not in pref.email_muted for value, _label in kinds
    }
    initial["language"] = pref.language
    form = NotificationPreferencesForm(request.POST or None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        emails.notification_preferences_set(
            by=user, emailed=form.emailed(), language=form.cleaned_data["language"]
        )
        messages.success(request, _("Your email preferences are saved."))
        return redirect("editorial:notification_preferences")
    return render(
        request,
        "editorial/notification_preferences.html",
        {
            "form": form,
            "rows": [(form[f"email_{value}"], value) for value, _label in kinds],
            "always_to_author": emails.ALWAYS_TO_AUTHOR,
            "has_email": bool(user.email),
        },
    )

"""A member's notifications: the list, marking them read, the choice of those sent by email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from editorial import emails, failures, policies, selectors, services
from editorial.forms.members import NotificationPreferencesForm
from editorial.models import Notification
from editorial.views.common import request_user


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
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


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    notes = list(selectors.notifications_for(user)[:100])
    # A failure says what to do, and offers only what this reader may do about it.
    worded = {n.pk: n.failures for n in notes if n.kind == Notification.Kind.FAILED}
    managed = failures.reconnecting_units(user, [f for fs in worded.values() for f in fs])
    failed_posts = {n.post_id: n.post for n in notes if n.pk in worded}
    retry = {pk for pk, post in failed_posts.items() if policies.may_retry(post, user)}
    return render(
        request,
        "editorial/notifications.html",
        {
            "notifications": notes,
            "managed_units": managed,
            "retryable": retry,
        },
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(by=request_user(request))
    return redirect("editorial:notifications")

"""The records page: an account and a period, and the bundle for the archives as a .zip.

Who may export is ``accounts.record_rights.may_export_records``; the list shows only the
accounts the reader may export, and the service asks again. The export writes an audit event,
so it is a POST (with its CSRF token), answered with the file.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts import record_rights
from accounts.models import SocialAccount, User
from editorial.forms.dates import LocalDateField
from publishing.services.records import RecordsError, records_export


class RecordsForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=SocialAccount.objects.none(),
        error_messages={
            "invalid_choice": _(
                "Choose one of the accounts listed: you may export the records of those only."
            ),
        },
    )
    # ISO in every language (a French browser's date input refuses "10/12/2026").
    start = LocalDateField(label=_("First day"))
    end = LocalDateField(label=_("Last day"))

    def __init__(self, *args: Any, accounts: QuerySet[SocialAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = accounts.select_related("unit")
        for name in ("start", "end"):
            # Read back in ISO whatever the language (a date input's value is always ISO).
            self.fields[name].widget.format = "%Y-%m-%d"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The last day is before the first day: swap them."))
        return cleaned


def _request_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _initial() -> dict[str, date]:
    """The last full month: what the archives usually ask for."""
    first_of_month = timezone.localdate().replace(day=1)
    last = first_of_month - timedelta(days=1)
    return {"start": last.replace(day=1), "end": last}


@login_required
@require_http_methods(["GET", "POST"])
def records(request: HttpRequest) -> HttpResponse | FileResponse:
    user = _request_user(request)
    accounts = record_rights.accounts_exportable_by(user)
    if request.method != "POST":
        form = RecordsForm(accounts=accounts, initial=_initial())
        return _page(request, form, accounts)
    form = RecordsForm(request.POST, accounts=accounts)
    if form.is_valid():
        out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
        try:
            done = records_export(
                account=form.cleaned_data["account"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                out=out,
                by=user,
            )
        except RecordsError as exc:
            out.close()
            form.add_error(None, exc.message)
        else:
            out.seek(0)
            return FileResponse(
                out, as_attachment=True, filename=done.filename, content_type="application/zip"
            )
    return _page(request, form, accounts, status=400)


def _page(
    request: HttpRequest, form: RecordsForm, accounts: QuerySet[SocialAccount], status: int = 200
) -> HttpResponse:
    context = {"form": form, "has_accounts": accounts.exists()}
    return render(request, "publishing/records.html", context, status=status)

"""What a browser would post back from a Django admin change or add page, unchanged.

Tests of the admin read the page's form and inline formsets, change a few values and post
the whole: the admin sees a real form submission (management forms, hidden ids, split dates),
not a hand-built dictionary that drifts from the page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib.auth.forms import ReadOnlyPasswordHashField
from django.test import Client
from django.utils import timezone


def _field_data(form: forms.BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled or isinstance(field, ReadOnlyPasswordHashField):
            continue
        bound = form[name]
        value = bound.value()
        key = bound.html_name
        if isinstance(field.widget, forms.SplitDateTimeWidget):
            if isinstance(value, datetime):
                local = timezone.localtime(value)
                data[f"{key}_0"] = local.date().isoformat()
                data[f"{key}_1"] = local.time().strftime("%H:%M:%S")
        elif isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif isinstance(value, date):
            data[key] = value.isoformat()
        elif value is not None:
            data[key] = str(value)
    return data


def admin_form_data(client: Client, url: str) -> dict[str, Any]:
    """The page's form and inline formsets as they would be posted without a change."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.context is not None
    data = _field_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= _field_data(formset.management_form)
        for form in formset.forms:
            data |= _field_data(form)
    return data

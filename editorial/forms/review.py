"""Forms of the review actions on the post page: changes asked, withdraw or retract, schedule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from editorial.forms.dates import LocalDateTimeField


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class EndPostForm(forms.Form):
    """Withdraw (before publication) or retract (after): the reason is kept in the record."""

    reason = forms.CharField(label=_("Why?"), widget=forms.Textarea(attrs={"rows": 2}))


class ScheduleForm(forms.Form):
    """Schedule at a time, or publish now: two buttons, never an empty field meaning "now".

    On the post page the time is pre-filled with the author's requested time, so scheduling
    without touching it keeps that time.
    """

    NOW = "now"  # the name of the "Publish now" button

    at = LocalDateTimeField(label=_("Publish at"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.publish_now = self.NOW in self.data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.publish_now and data.get("at") is None and "at" not in self.errors:
            self.add_error(
                "at",
                _(
                    "Choose the publication time, or use the “Publish now” button: an empty "
                    "time does not mean now."
                ),
            )
        return data

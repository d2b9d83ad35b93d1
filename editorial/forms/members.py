"""Forms of the member-facing pages: the comment thread, email preferences, delegations.

They check the shape of the input; the rules (who may, which dates) are the services'.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, User
from editorial.forms.dates import LocalDateField
from editorial.services import comments


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=comments.MAX_BODY,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("Write to the team; @username tells a member.")}
        ),
    )


class NotificationPreferencesForm(forms.Form):
    """One checkbox per notification kind, built from the kinds known at run time."""

    language = forms.ChoiceField(label=_("Language of emails"), required=False)

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("The site's language")),
            *settings.LANGUAGES,
        ]
        for value, label in kinds:
            self.fields[f"email_{value}"] = forms.BooleanField(label=label, required=False)

    def emailed(self) -> list[str]:
        return [
            name.removeprefix("email_")
            for name, value in self.cleaned_data.items()
            if name.startswith("email_") and value
        ]


class DelegationForm(forms.Form):
    deputy = forms.ModelChoiceField(label=_("Deputy"), queryset=User.objects.none())
    unit = forms.ModelChoiceField(
        label=_("Only for the unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All my units"),
    )
    starts_on = LocalDateField(label=_("From"))
    ends_on = LocalDateField(label=_("Until (included)"))

    def __init__(self, *args: Any, deputies: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = deputies  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

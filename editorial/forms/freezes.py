"""The form that freezes publishing on an account or the whole organisation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SocialAccount


class FreezeForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Freeze"),
        queryset=SocialAccount.objects.none(),
        required=False,
    )
    reason = forms.CharField(
        label=_("Why? (shown to everyone concerned, kept in the audit trail)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, accounts: Any, org_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = accounts
        # The empty choice is the whole organisation, offered only to who may freeze it.
        field.required = not org_wide
        field.empty_label = str(_("The whole organisation")) if org_wide else "—"

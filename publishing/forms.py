from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit


class _UnitForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("Speaking unit"))

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units


class MastodonConnectForm(_UnitForm):
    instance_url = forms.URLField(
        label=_("Instance address"),
        help_text=_("For example https://social.numerique.gouv.fr"),
        assume_scheme="https",
    )


class BlueskyConnectForm(_UnitForm):
    handle = forms.CharField(label=_("Handle"), help_text=_("For example ministere.bsky.social"))
    app_password = forms.CharField(
        label=_("App password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Create an app password in Bluesky (Settings → Privacy and security → App "
            "passwords). Never the account's main password."
        ),
    )

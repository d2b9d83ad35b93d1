"""The form that waives a charter finding on the post page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from charter.waivers import WaiverCategory


class WaiverForm(forms.Form):
    rule = forms.CharField(widget=forms.HiddenInput)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=WaiverCategory.choices)
    justification = forms.CharField(
        label=gettext_lazy("Why does this finding not apply here?"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, categories: tuple[WaiverCategory, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if categories:
            field = self.fields["category"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(c.value, c.label) for c in categories]

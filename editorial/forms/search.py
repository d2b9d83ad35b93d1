"""The search page's filters (a GET form: a search is a link one can keep or send)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from editorial.forms.dates import LocalDateField
from editorial.models import PostState, PostTier
from editorial.selectors.search import SearchCriteria


class PlainSelect(forms.Select):
    """A ``<select>`` written in one pass: Django's own rendering goes through two templates
    per option, and the unit filter of a large organisation has hundreds of options
    (docs/benchmarks.md "The four pages"). The site's field partial
    (``templates/dsfr_pv/field.html``) styles its kind, "plainselect", as a select."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if str(key) == chosen else "", label)
                # The search's choices have no groups.
                for key, label in self.choices
            ),
        )
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(final), options)


def _id_choice(label: Any) -> forms.TypedChoiceField:
    """An id among the pairs given to the form (``SearchForm.__init__``)."""
    return forms.TypedChoiceField(
        label=label, required=False, coerce=int, empty_value=None, widget=PlainSelect
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Text"), required=False, max_length=200)
    account = _id_choice(_("Account"))
    unit = _id_choice(_("Unit"))
    author = forms.CharField(
        label=_("Author"),
        required=False,
        max_length=150,
        help_text=_("Name, login or initials"),
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *PostState.choices],
        widget=PlainSelect,
    )
    tier = forms.ChoiceField(
        label=_("Tier"),
        required=False,
        choices=[("", _("All tiers")), *PostTier.choices],
        widget=PlainSelect,
    )
    date_from = LocalDateField(label=_("From"), required=False)
    date_to = LocalDateField(label=_("Until (included)"), required=False)

    def __init__(
        self,
        *args: Any,
        accounts: Sequence[tuple[int, str]],
        units: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        """``accounts`` and ``units``: (id, label) pairs, the only ones offered and accepted."""
        super().__init__(*args, **kwargs)
        offered: Mapping[str, tuple[Any, Sequence[tuple[int, str]]]] = {
            "account": (_("All accounts"), accounts),
            "unit": (_("All units"), units),
        }
        for name, (everything, pairs) in offered.items():
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = [("", everything), *pairs]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to", _("The end of the range comes before its start: swap the two dates.")
            )
        return data

    def criteria(self) -> SearchCriteria:
        data = self.cleaned_data
        return SearchCriteria(
            text=data.get("q") or "",
            account_id=data.get("account"),
            unit_id=data.get("unit"),
            author=data.get("author") or "",
            state=data.get("state") or "",
            tier=data.get("tier") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

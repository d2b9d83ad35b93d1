"""The search page's filters (a GET form: a search is a link one can keep or send)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, SocialAccount
from editorial.forms.dates import LocalDateField
from editorial.models import PostState, PostTier
from editorial.selectors.search import SearchCriteria


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Text"), required=False, max_length=200)
    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=SocialAccount.objects.none(),
        required=False,
        empty_label=_("All accounts"),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units"),
    )
    author = forms.CharField(
        label=_("Author"),
        required=False,
        max_length=150,
        help_text=_("Name, login or initials"),
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *PostState.choices]
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("All tiers")), *PostTier.choices]
    )
    date_from = LocalDateField(label=_("From"), required=False)
    date_to = LocalDateField(label=_("Until (included)"), required=False)

    def __init__(
        self,
        *args: Any,
        accounts: QuerySet[SocialAccount],
        units: QuerySet[OrgUnit],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (("account", accounts), ("unit", units)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

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
        account, unit = data.get("account"), data.get("unit")
        return SearchCriteria(
            text=data.get("q") or "",
            account_id=account.pk if account else None,
            unit_id=unit.pk if unit else None,
            author=data.get("author") or "",
            state=data.get("state") or "",
            tier=data.get("tier") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

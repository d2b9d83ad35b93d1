"""Forms of the configuration screens: members and roles, rights on one account, elections.

They check the shape of the input and find the person named; who may change what is the
services' (accounts.services, accounts.organisation, charter.services).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountGrant, Membership, OrgUnit, User
from charter.models import ElectionWindow
from editorial.forms.dates import LocalDateField, LocalTimeField


class PersonField(forms.CharField):
    """A person named by their username or e-mail address; only active people are found.

    Creating a person stays in the Django admin (a superuser's act): here one only gives a
    role or a right to someone who already has an account."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Person (username or e-mail address)"))
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> User:
        text = str(super().clean(value)).strip()
        found = list(
            User.objects.filter(
                Q(username__iexact=text) | Q(email__iexact=text), is_active=True
            ).order_by("pk")[:2]
        )
        if not found:
            raise forms.ValidationError(
                _(
                    "No active person has the username or e-mail address “%(text)s”. A new "
                    "person is created by a superuser in the administration."
                ),
                params={"text": text},
            )
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several people share “%(text)s”: give the username instead."),
                params={"text": text},
            )
        return found[0]


class MemberAddForm(forms.Form):
    person = PersonField()
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class GrantForm(forms.Form):
    person = PersonField()
    right = forms.ChoiceField(label=_("Right"), choices=AccountGrant.Right.choices)


class ElectionWindowForm(forms.ModelForm):  # type: ignore[type-arg]
    """An election, for the units the person administers. The whole organisation (no unit) is
    offered to a superuser only: it binds every unit."""

    class Meta:
        model = ElectionWindow
        fields = [
            "name",
            "kind",
            "unit",
            "first_round",
            "second_round",
            "window_start",
            "time_zone",
            "polls_close",
        ]
        # ISO in every language: a browser's date and time inputs read no other form.
        field_classes = {
            "first_round": LocalDateField,
            "second_round": LocalDateField,
            "window_start": LocalDateField,
            "polls_close": LocalTimeField,
        }

    def __init__(self, *args: Any, units: Any, org_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units
        field.required = not org_wide
        field.empty_label = str(_("The whole organisation")) if org_wide else "—"


class ReferentForm(forms.Form):
    """Designate an electoral referent for a unit one administers (the whole organisation:
    a superuser's)."""

    person = PersonField()
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, units: Any, org_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units
        field.required = not org_wide
        field.empty_label = str(_("The whole organisation")) if org_wide else "—"

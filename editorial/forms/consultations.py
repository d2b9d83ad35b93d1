"""Forms of a consultation: asking the units concerned, answering for one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from accounts.models import OrgUnit
from editorial.form_input import IdsChoiceField
from editorial.forms.dates import LocalDateTimeField
from editorial.models import Consultation, Post


class ConsultationForm(forms.Form):
    units = IdsChoiceField(
        label=gettext_lazy("Units to consult"),
        queryset=OrgUnit.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    blocking = forms.BooleanField(
        label=gettext_lazy("Blocking: the post is not approved until they agree"),
        required=False,
        initial=True,
    )
    deadline = LocalDateTimeField(label=gettext_lazy("Answer by"))
    question = forms.CharField(
        label=gettext_lazy("What should they check?"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, post: Post, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["units"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        # Neither the unit that speaks nor those already consulted (one open request each).
        consulted = Consultation.objects.active().filter(post=post).values("unit_id")
        field.queryset = (
            OrgUnit.objects.exclude(pk=post.unit_id).exclude(pk__in=consulted).order_by("name")
        )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=gettext_lazy("Your unit's answer"),
        choices=Consultation.Answer.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment on the facts (required to object)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The revision read is required, as for an approval: an agreement never covers a revision
    # its author did not see. Bounded so that no number reaches the database out of range.
    revision = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        max_value=2**31 - 1,
        error_messages={
            "required": gettext_lazy(
                "The answer does not say which revision you read: open the post again and "
                "answer from its page."
            ),
            "invalid": gettext_lazy("The revision you read is not a valid revision number."),
        },
    )

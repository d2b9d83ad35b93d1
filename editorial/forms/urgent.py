"""Forms of the urgent procedure and of its post-hoc review (``editorial.services.urgent``,
``editorial.services.posthoc``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from editorial.form_input import parse_ids
from editorial.models import PostHocReview


class UrgentPublishForm(forms.Form):
    # The minimum length is the service's to check, so the message names it in one place.
    justification = forms.CharField(
        label=_("Why can this not wait for the approvers?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Kept in the audit trail and in the byline record; the approvers you skip read it "
            "when they review the publication afterwards."
        ),
    )
    # Shown (and required by the service) only while a blocking consultation is unanswered;
    # the template names the units in the box's label.
    acknowledge = forms.BooleanField(required=False)
    # The ids of the consultations the page listed, so one asked since is told apart.
    consultations = forms.CharField(required=False, widget=forms.HiddenInput)

    def shown_ids(self) -> frozenset[int]:
        raw = self.cleaned_data.get("consultations") or ""
        return frozenset(parse_ids(raw.split(",")))

    def acknowledged_ids(self) -> frozenset[int]:
        return self.shown_ids() if self.cleaned_data.get("acknowledge") else frozenset()


class PostHocReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Your review"),
        choices=PostHocReview.Outcome.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (required to object)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

"""Forms of the urgent procedure and of its post-hoc review (``editorial.urgent``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SocialAccount
from editorial.forms_networks import NetworkOptionsForm
from editorial.models import PostTier

LANGUAGES = [
    ("fr", "Français"),
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("br", "Brezhoneg"),
    ("oc", "Occitan"),
]
MAX_IMAGE_BYTES = 8 * 1024 * 1024


THREAD_SEPARATOR = re.compile(r"^\s*-{3,}\s*$", re.MULTILINE)


def split_thread(value: str) -> list[str]:
    """The parts typed in the thread box, split on lines of three dashes or more."""
    return [part.strip() for part in THREAD_SEPARATOR.split(value) if part.strip()]


def join_thread(parts: list[str]) -> str:
    return "\n---\n".join(parts)


class PostForm(NetworkOptionsForm):
    accounts = forms.ModelMultipleChoiceField(
        label=_("Publish on"),
        queryset=SocialAccount.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 7}))
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES, initial="fr")
    tier = forms.ChoiceField(
        label=_("Tier"),
        choices=PostTier.choices,
        initial=PostTier.STANDARD,
        required=False,
        help_text=_("Raise it for a sensitive or political post: more people approve it."),
    )
    requested_publish_at = forms.DateTimeField(
        label=_("Publish at (leave empty: as soon as approved)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    thread = forms.CharField(
        label=_("Thread: the following parts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "To publish a thread, write the next parts here, separated by a line with three "
            "dashes (---). Each part is published as a reply to the one before; the byline "
            "goes at the end of the last part."
        ),
    )
    embargo_until = forms.DateTimeField(
        label=_("Embargo until (nothing goes out before)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    source = forms.CharField(
        label=_("Source of the figures"),
        required=False,
        max_length=500,
        help_text=_("The study, dataset or report the figures come from."),
    )
    image = forms.ImageField(label=_("Image"), required=False)
    alt_text = forms.CharField(
        label=_("Alt text (describe the image for people who cannot see it)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accounts"].queryset = accounts  # type: ignore[attr-defined]

    def thread_parts(self) -> list[str]:
        return split_thread(self.cleaned_data.get("thread") or "")

    def clean_image(self) -> Any:
        image = self.cleaned_data.get("image")
        if image and image.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("The image is larger than 8 MB: resize it."))
        return image


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class EndPostForm(forms.Form):
    """Withdraw (before publication) or retract (after): the reason is kept in the record."""

    reason = forms.CharField(label=_("Why?"), widget=forms.Textarea(attrs={"rows": 2}))


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Publish at (leave empty: now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


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

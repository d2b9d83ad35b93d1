"""The forms of the identity pages: an account's public profile and byline, an agent's
function and consent. The rules are the services' (``accounts.identity``): the forms only
show them next to the field they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.identity import AccountIdentity, identity_errors


class AccountIdentityForm(forms.Form):
    byline_template = forms.CharField(
        label=_("Byline template"),
        max_length=100,
        help_text=_(
            "Appended to every post. Placeholders: {unit} (the service's code), {initials} "
            "(the author's), {url} (the post's public page), {account_url} (this account's "
            "public page)."
        ),
    )
    public_description = forms.CharField(
        label=_("Public description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who this account speaks for, in a sentence or two."),
    )
    public_contact = forms.CharField(
        label=_("Contact"),
        required=False,
        max_length=254,
        help_text=_("An e-mail address or the web address of the service answering for it."),
    )
    moderation_policy = forms.CharField(
        label=_("Moderation policy"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("How replies are read and moderated, shown on the account's public page."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            for name, messages in identity_errors(self.identity()).items():
                for message in messages:
                    self.add_error(name, message)
        return cleaned

    def identity(self) -> AccountIdentity:
        data = self.cleaned_data
        return AccountIdentity(
            public_description=data.get("public_description", ""),
            public_contact=data.get("public_contact", ""),
            moderation_policy=data.get("moderation_policy", ""),
            byline_template=data.get("byline_template", ""),
        )


class PublicProfileForm(forms.Form):
    job_title = forms.CharField(
        label=_("Function"),
        required=False,
        max_length=120,
        help_text=_("Shown on the public pages, e.g. 'chargée de communication'."),
    )
    public_name_consent = forms.BooleanField(
        label=_("My name may appear on the public pages"),
        required=False,
        help_text=_(
            "Without your agreement, the public pages show only your initials, your function "
            "and your service. You may withdraw it at any time: your name disappears at once."
        ),
    )

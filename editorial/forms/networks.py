"""The compose form's per-network part: text variants and each network's options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from editorial.networks import NETWORKS, NetworkOptions, ReplyGate, SelfLabel, Visibility


class NetworkOptionsForm(forms.Form):
    variant_mastodon = forms.CharField(
        label=_("Mastodon version (leave empty: the text above)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    variant_bluesky = forms.CharField(
        label=_("Bluesky version (leave empty: the text above)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Bluesky allows 300 characters: write a shorter version if needed."),
    )
    mastodon_visibility = forms.ChoiceField(
        label=_("Visibility on Mastodon"),
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        required=False,
    )
    spoiler_text = forms.CharField(
        label=_("Content warning on Mastodon (shown before the text)"),
        required=False,
        max_length=500,
        help_text=_("It counts towards Mastodon's length limit."),
    )
    sensitive = forms.BooleanField(
        label=_("Hide the images on Mastodon behind a sensitive-media warning"), required=False
    )
    bluesky_label = forms.ChoiceField(
        label=_("Content label on Bluesky"), choices=SelfLabel.choices, required=False
    )
    reply_gate = forms.ChoiceField(
        label=_("Who may reply on Bluesky"), choices=ReplyGate.choices, required=False
    )

    image_focus = forms.CharField(
        label=_("Focus point of the image on Mastodon (x,y)"),
        required=False,
        max_length=32,
        help_text=_(
            "Two numbers between -1 and 1 from the centre, e.g. 0,0.5 for the upper middle: "
            "Mastodon keeps that point in cropped previews."
        ),
    )

    def clean_image_focus(self) -> tuple[float, float] | None:
        value = (self.cleaned_data.get("image_focus") or "").strip()
        if not value:
            return None
        try:
            x, y = (float(part) for part in value.split(","))
        except ValueError:
            raise forms.ValidationError(
                _("Write the focus point as two numbers separated by a comma, e.g. 0,0.5.")
            ) from None
        if not (-1 <= x <= 1 and -1 <= y <= 1):
            raise forms.ValidationError(_("Both numbers of the focus point lie between -1 and 1."))
        return (x, y)

    def network_options(self) -> NetworkOptions:
        data = self.cleaned_data
        return NetworkOptions(
            variants={n: data.get(f"variant_{n}") or "" for n in NETWORKS},
            visibility=data.get("mastodon_visibility") or Visibility.PUBLIC,
            spoiler_text=data.get("spoiler_text") or "",
            sensitive=bool(data.get("sensitive")),
            self_label=data.get("bluesky_label") or SelfLabel.NONE,
            reply_gate=data.get("reply_gate") or ReplyGate.EVERYBODY,
        )


def initial_from(options: NetworkOptions) -> dict[str, Any]:
    """The form's initial values for a revision's options (the edit page)."""
    return {
        **{f"variant_{n}": options.variants.get(n, "") for n in NETWORKS},
        "mastodon_visibility": options.visibility,
        "spoiler_text": options.spoiler_text,
        "sensitive": options.sensitive,
        "bluesky_label": options.self_label,
        "reply_gate": options.reply_gate,
    }

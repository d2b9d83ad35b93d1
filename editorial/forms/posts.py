from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SocialAccount
from editorial import images
from editorial.form_input import IdsChoiceField
from editorial.forms.dates import LocalDateTimeField
from editorial.forms.networks import NetworkOptionsForm
from editorial.models import PostTier, RevisionMedia

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
    accounts = IdsChoiceField(
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
    requested_publish_at = LocalDateTimeField(
        label=_("Publish at (leave empty: as soon as approved)"),
        required=False,
    )
    clear_requested_publish_at = forms.BooleanField(
        label=_("Remove the requested time"), required=False
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
    embargo_until = LocalDateTimeField(
        label=_("Embargo until (nothing goes out before)"),
        required=False,
    )
    clear_embargo_until = forms.BooleanField(label=_("Remove the embargo"), required=False)
    source = forms.CharField(
        label=_("Source of the figures"),
        required=False,
        max_length=500,
        help_text=_("The study, dataset or report the figures come from."),
    )
    # A plain file field: Django's ImageField would let Pillow try every format it knows on
    # the upload; editorial.images recognises the accepted formats only, by their content.
    image = forms.FileField(
        label=_("Image"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(images.ACCEPTED_TYPES)}),
    )
    alt_text = forms.CharField(
        label=_("Alt text (describe the image for people who cannot see it)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The compose page's one-time token (services.post_create): sent twice, one post.
    creation_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    # The times an edit may remove only explicitly, with the checkbox that says so.
    REMOVABLE_TIMES = ("requested_publish_at", "embargo_until")

    def __init__(
        self,
        *args: Any,
        accounts: Any,
        media: Sequence[RevisionMedia] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accounts"].queryset = accounts  # type: ignore[attr-defined]
        self.fields["image"].help_text = _(
            "JPEG, PNG, WebP or still GIF, at most 8 MB and %(limit)s megapixels."
        ) % {"limit": images.max_megapixels()}
        # The images already attached (on the edit page), each with its alt text editable.
        self.current_media = list(media)
        for item in self.current_media:
            self.fields[self.media_alt_name(item)] = forms.CharField(
                label=_("Alt text of the current image"),
                required=False,
                initial=item.alt_text,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[self.media_remove_name(item)] = forms.BooleanField(
                label=_("Remove this image"), required=False
            )

    @staticmethod
    def media_alt_name(item: RevisionMedia) -> str:
        return f"media_alt_{item.pk}"

    @staticmethod
    def media_remove_name(item: RevisionMedia) -> str:
        return f"media_remove_{item.pk}"

    def media_alt_fields(
        self,
    ) -> list[tuple[RevisionMedia, forms.BoundField, forms.BoundField]]:
        """Each current image with its alt text field and its "remove" checkbox."""
        return [
            (item, self[self.media_alt_name(item)], self[self.media_remove_name(item)])
            for item in self.current_media
        ]

    def removed_media(self) -> list[bool]:
        """Whether the author asked to remove each current image, in their order."""
        return [bool(self.cleaned_data.get(self.media_remove_name(m))) for m in self.current_media]

    def thread_parts(self) -> list[str]:
        return split_thread(self.cleaned_data.get("thread") or "")

    def clean_image(self) -> Any:
        image = self.cleaned_data.get("image")
        if image and image.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("The image is larger than 8 MB: resize it."))
        if image:
            # The header only (format, dimensions): the service decodes and re-encodes.
            try:
                info = images.probe(image.read())
            except images.ImageRefused as exc:
                raise forms.ValidationError(exc.message) from exc
            finally:
                image.seek(0)
            image.content_type = info.mime_type
        return image

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.REMOVABLE_TIMES:
            self._clean_removal(name, data)
        self._clean_images(data)
        return data

    def _clean_removal(self, name: str, data: dict[str, Any]) -> None:
        """A time the post had is removed only with its checkbox: a field that comes back
        empty is refused (and shown again), never read as "remove it"."""
        if name in self.errors:
            return
        if data.get(f"clear_{name}"):
            if data.get(name) is not None and name in self.changed_data:
                self.add_error(name, _("You changed this time and asked to remove it: choose one."))
            else:
                data[name] = None
            return
        if self.initial.get(name) is not None and data.get(name) is None:
            label = self.fields[f"clear_{name}"].label
            self.add_error(
                name,
                _("This time came back empty; it is shown again. To remove it, tick “%(remove)s”.")
                % {"remove": label},
            )
            # Shown again as it was, so the author loses nothing by this refusal.
            restored: Any = copy.copy(self.data)  # QueryDict's copy is mutable
            field = self.fields[name]
            restored[name] = field.widget.format_value(field.prepare_value(self.initial[name]))
            self.data = restored

    def _clean_images(self, data: dict[str, Any]) -> None:
        """Whatever is typed about images is kept or refused in words, never dropped."""
        image = data.get("image")
        if image:
            edited = [n for n in self.changed_data if n.startswith("media_alt_")]
            if edited:
                self.add_error(
                    edited[0],
                    _(
                        "The new image replaces the current one, so this alt text would be "
                        "lost: either attach the new image, or change the current image's alt "
                        "text, one at a time."
                    ),
                )
            return
        if (data.get("alt_text") or "").strip():
            self.add_error(
                "alt_text",
                _(
                    "This alt text is for a new image, but no image is attached: attach the "
                    "image (again), or type the alt text of the current image in its own field."
                ),
            )
        if data.get("image_focus") is not None:
            self.add_error(
                "image_focus",
                _("The focus point is for the image you attach: attach the image (again)."),
            )

    def edited_time(self, name: str) -> tuple[bool, datetime | None]:
        """Whether the author changed the time ``name`` (or removed it), and its new value."""
        if self.cleaned_data.get(f"clear_{name}"):
            return True, None
        return name in self.changed_data, self.cleaned_data.get(name)

    def current_alt_texts(self) -> list[str]:
        """The alt texts of the current images, as typed, in their order."""
        return [self.cleaned_data.get(self.media_alt_name(m), "") for m in self.current_media]

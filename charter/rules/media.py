"""Every image carries a text alternative."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules.base import Example, Finding, Rule, Severity
from charter.snapshot import MediaSnapshot, PostSnapshot, RenditionSnapshot


def _is_image(media: MediaSnapshot) -> bool:
    # An unknown type is treated as an image: better a needless request for a description
    # than an image published without one.
    return not media.mime_type or media.mime_type.lower().startswith("image/")


def check_alt_text(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    for media in snapshot.media:
        if not _is_image(media):
            continue
        alt = media.alt_text.strip()
        if not alt:
            message = gettext(
                "The image %(filename)s has no text alternative: describe what it shows for "
                "people who cannot see it."
            ) % {"filename": media.filename}
        elif alt.casefold() == media.filename.strip().casefold():
            message = gettext(
                "The text alternative of the image %(filename)s is its file name: describe what "
                "the image shows instead."
            ) % {"filename": media.filename}
        else:
            continue
        yield Finding("media.alt_text", severity, message)


def _snapshot(*media: MediaSnapshot) -> PostSnapshot:
    body = "Inauguration du nouveau centre de services."
    rendition = RenditionSnapshot(
        account_id=1, network="mastodon", handle="dgx", body=body, byline="— DGX ^JD"
    )
    return PostSnapshot(text=body, language="fr", renditions=(rendition,), media=media)


MEDIA_ALT_TEXT = Rule(
    code="media.alt_text",
    title=_("Text alternative on every image"),
    rationale=_(
        "Screen readers read the text alternative in place of the image; without it the image "
        "says nothing to blind and partially sighted readers (RGAA criterion 1.1). A blank "
        "description or the file name does not count. Attachments that are not images (video, "
        "audio) are not checked yet."
    ),
    default_severity=Severity.BLOCK,
    check=check_alt_text,
    examples=(
        Example(
            _("The photo is described."),
            _snapshot(
                MediaSnapshot(
                    "ruban.jpg",
                    "La préfète coupe le ruban devant l'entrée du centre.",
                    mime_type="image/jpeg",
                )
            ),
            passes=True,
        ),
        Example(
            _("The photo has no description."),
            _snapshot(MediaSnapshot("ruban.jpg", "", mime_type="image/jpeg")),
            passes=False,
        ),
    ),
)

"""Every image carries a text alternative, and a useful one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.rules.base import Example, Finding, Rule, Severity
from charter.rules.terms import folded_text
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
        if not alt and not media.filename.strip():
            # An image just attached on the compose page may have no name yet.
            message = gettext(
                "This image has no text alternative: describe what it shows for people who "
                "cannot see it."
            )
        elif not alt:
            message = gettext(
                "The image “%(filename)s” has no text alternative: describe what it shows for "
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


# --- Quality of the text alternative -----------------------------------------------------------
# A file name, a camera's name for the picture, or words that only say "this is an image".
_FILENAME = regex.compile(
    r"(?i)\S+\.(?:jpe?g|png|gif|webp|heic|heif|avif|svg|bmp|tiff?)|"
    r"(?:img|dsc|dscn|dcim|pxl|screenshot|capture)[ _\-]?\d[\w\-]*"
)
_GENERIC_TEXT = """
    image images photo photos photographie illustration visuel visuels img picture pic logo
    capture screenshot graphique schema infographie affiche dessin icone banniere media alt
    description sans-titre untitled capture-d'ecran capture-ecran image-jointe photo-jointe
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())
_ARTICLES = regex.compile(r"^(?:(?:une?|la|le|les|the|an?)-|l')")
_NOT_A_WORD = regex.compile(r"[^\p{L}\p{N}']+")
MIN_COPY_LENGTH = 20  # shorter, an alt text may well repeat a few words of the post


@lru_cache(maxsize=16)
def _normalized(text: str) -> tuple[str, tuple[int, ...]]:
    """Folded, each run of non-letters made one space; with each character's origin."""
    folded, origin = folded_text(text)
    chars: list[str] = []
    kept: list[int] = []
    for char, index in zip(folded, origin, strict=True):
        kept_char = char if char.isalnum() or char == "'" else " "
        if kept_char == " " and chars and chars[-1] == " ":
            continue
        chars.append(kept_char)
        kept.append(index)
    return "".join(chars), tuple(kept)


def alt_problem(alt: str, post_text: str) -> tuple[str, tuple[int, int] | None] | None:
    """What is wrong with a non-empty text alternative: "filename", "generic", "copy" (with
    where the post says it), or None."""
    stripped = alt.strip()
    if _FILENAME.fullmatch(stripped):
        return "filename", None
    words = _ARTICLES.sub("", _NOT_A_WORD.sub("-", folded_text(stripped)[0]).strip("-"))
    if not any(c.isalpha() for c in stripped) or words.strip("-") in _GENERIC:
        return "generic", None
    normalized_alt = _normalized(stripped)[0].strip()
    if len(normalized_alt) >= MIN_COPY_LENGTH:
        normalized_text, origin = _normalized(post_text)
        found = normalized_text.find(normalized_alt)
        if found >= 0:
            end = origin[found + len(normalized_alt) - 1] + 1
            return "copy", (origin[found], end)
    return None


def check_alt_quality(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    for media in snapshot.media:
        alt = media.alt_text.strip()
        # Missing, or the exact file name: media.alt_text reports it (and blocks).
        if not alt or not _is_image(media) or alt.casefold() == media.filename.strip().casefold():
            continue
        problem = alt_problem(alt, snapshot.text)
        if problem is None:
            continue
        kind, span = problem
        values = {"filename": media.filename, "alt": alt}
        if kind == "filename":
            message = gettext(
                "The text alternative of %(filename)s, “%(alt)s”, is a file name: describe what "
                "the image shows instead."
            )
        elif kind == "generic":
            message = gettext(
                "The text alternative of %(filename)s, “%(alt)s”, only says that there is an "
                "image: describe what it shows (who, what, the text it contains)."
            )
        else:
            message = gettext(
                "The text alternative of %(filename)s repeats the text of the post, which screen "
                "readers have just read: describe what the image shows instead."
            )
        yield Finding("a11y.alt_quality", severity, message % values, span=span)


A11Y_ALT_QUALITY = Rule(
    code="a11y.alt_quality",
    title=_("Useful text alternatives"),
    rationale=_(
        "A text alternative must say what the image shows. A file name (“IMG_2041.jpg”), a "
        "word that only says there is an image (“photo”, “illustration”, “visuel”) or a copy of "
        "the post's own text (read just before) tells a blind reader nothing (RGAA criterion "
        "1.3). A missing one is the business of media.alt_text."
    ),
    default_severity=Severity.WARN,
    check=check_alt_quality,
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
            _("“Photo” says nothing of the image."),
            _snapshot(MediaSnapshot("ruban.jpg", "Photo", mime_type="image/jpeg")),
            passes=False,
        ),
        Example(
            _("The alt text repeats the post."),
            _snapshot(
                MediaSnapshot(
                    "ruban.jpg",
                    "Inauguration du nouveau centre de services",
                    mime_type="image/jpeg",
                )
            ),
            passes=False,
        ),
    ),
)

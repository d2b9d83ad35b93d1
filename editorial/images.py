"""Uploaded images: only JPEG, PNG, WebP and still GIF, within a pixel budget, re-encoded.

An upload is judged by its decoded content, never by its name or the type the browser
claims: Pillow is asked to recognise the four formats only, so the parsers of the other
formats it knows (EPS through Ghostscript, PSD, ICO, TIFF…) never run on uploaded bytes.

``probe`` reads the header alone (format and dimensions) and is what the form calls: a
144-megapixel PNG is refused before a single pixel is decoded. ``normalise`` decodes and
re-encodes: the stored file carries the pixels (orientation applied) and the colour profile,
and nothing else: no EXIF (location, camera, owner), no XMP, no text chunks, no comments.

Animated images (GIF, WebP) are refused: Bluesky's image embed shows a still image, so the
same post would move on Mastodon and stand still on Bluesky; the author picks the frame.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's format name → (MIME type, file extension) of what we store.
ACCEPTED = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}
ACCEPTED_NAMES = "JPEG, PNG, WebP, GIF"
ACCEPTED_TYPES = tuple(mime for mime, _suffix in ACCEPTED.values())
# Modes each encoder takes as they are; any other mode is converted first.
_KEEP_MODES = {
    "JPEG": {"L", "RGB"},
    "PNG": {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"},
    "WEBP": {"RGB", "RGBA"},
    "GIF": {"P", "L"},
}
_JPEG_QUALITY = 90
_WEBP_QUALITY = 90


class ImageRefused(ValueError):
    """The upload is not an image we take; ``message`` says why, in the reader's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int

    @property
    def mime_type(self) -> str:
        return ACCEPTED[self.format][0]


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    mime_type: str
    filename: str


def max_pixels() -> int:
    return int(settings.IMAGE_MAX_PIXELS)


def max_megapixels() -> str:
    """The limit as people read it: "40" (or "0.5" for a small test limit)."""
    return f"{max_pixels() / 1_000_000:g}"


def _too_large(width: int, height: int) -> ImageRefused:
    return ImageRefused(
        _(
            "The image is %(width)d by %(height)d pixels (%(mp)s megapixels); the limit is "
            "%(limit)s megapixels: resize it."
        )
        % {
            "width": width,
            "height": height,
            "mp": f"{width * height / 1_000_000:.1f}",
            "limit": max_megapixels(),
        }
    )


def _not_accepted() -> ImageRefused:
    return ImageRefused(
        _("This file is not an image in an accepted format (%(formats)s): convert it.")
        % {"formats": ACCEPTED_NAMES}
    )


def _unreadable() -> ImageRefused:
    return ImageRefused(
        _(
            "The image could not be read (damaged or incomplete file); "
            "accepted formats: %(formats)s."
        )
        % {"formats": ACCEPTED_NAMES}
    )


def _open(data: bytes) -> Image.Image:
    """The image, header read, nothing decoded; refused if not one of ours or too large."""
    try:
        image = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
    except Image.DecompressionBombError as exc:
        # Pillow's guard (Image.MAX_IMAGE_PIXELS, set from IMAGE_MAX_PIXELS when the app
        # starts) refuses at twice the limit, before anything is decoded.
        raise ImageRefused(
            _("The image is larger than %(limit)s megapixels: resize it.")
            % {"limit": max_megapixels()}
        ) from exc
    except UnidentifiedImageError as exc:
        raise _not_accepted() from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise _unreadable() from exc
    if _format(image) not in ACCEPTED:
        raise _not_accepted()
    width, height = image.size
    if width < 1 or height < 1:
        raise _unreadable()
    # Under twice the limit Pillow only warns: the header's dimensions decide here.
    if width * height > max_pixels():
        raise _too_large(width, height)
    # A camera's MPO keeps extra pictures (a depth map, a preview) after the photo: not an
    # animation; the first picture is the photo.
    if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
        raise ImageRefused(
            _(
                "Animated images are not accepted: Bluesky would show them still while "
                "Mastodon animates them. Attach a still image (%(formats)s)."
            )
            % {"formats": ACCEPTED_NAMES}
        )
    return image


def _format(image: Image.Image) -> str:
    """The format we store: a JPEG with extra pictures (MPO, many phones and cameras) is a
    JPEG, the first picture only."""
    return "JPEG" if image.format == "MPO" else str(image.format)


def probe(data: bytes) -> ImageInfo:
    """Format and size from the header alone; raises ``ImageRefused`` in words."""
    with _open(data) as image:
        return ImageInfo(format=_format(image), width=image.width, height=image.height)


def normalise(data: bytes, filename: str) -> CleanImage:
    """The image decoded and re-encoded in its own format, without its metadata.

    The EXIF orientation is applied to the pixels (the tag goes with the rest of the EXIF);
    the ICC colour profile is kept, as the colours depend on it, unless the pixels had to
    change colour model (a CMYK JPEG becomes RGB: its CMYK profile would then be wrong).
    """
    with _open(data) as image:
        fmt = _format(image)
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError) as exc:
            raise _unreadable() from exc
        out = _encodable(upright, fmt)
        icc = image.info.get("icc_profile") if out.mode == upright.mode else None
    buffer = io.BytesIO()
    params: dict[str, object] = {}
    if icc and fmt in {"JPEG", "PNG", "WEBP"}:
        params["icc_profile"] = icc
    if fmt == "JPEG":
        params.update(quality=_JPEG_QUALITY)
    elif fmt == "WEBP":
        params.update(quality=_WEBP_QUALITY)
    elif "transparency" in out.info and fmt in {"GIF", "PNG"}:
        params["transparency"] = out.info["transparency"]
    # A fresh info dict: the encoders also read metadata (exif, comment, text) from it.
    out.info = {}
    out.save(buffer, format=fmt, **params)
    mime, suffix = ACCEPTED[fmt]
    name = PurePath(filename or "image").with_suffix(suffix).name
    return CleanImage(data=buffer.getvalue(), mime_type=mime, filename=name)


def _encodable(image: Image.Image, fmt: str) -> Image.Image:
    if image.mode in _KEEP_MODES[fmt]:
        return image.copy()
    if fmt == "GIF":
        return image.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE)
    has_alpha = image.mode in {"RGBA", "LA", "PA", "La", "RGBa"} or "transparency" in image.info
    if fmt == "JPEG" or not has_alpha:
        return image.convert("RGB")
    return image.convert("RGBA")

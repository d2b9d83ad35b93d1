"""Images of a Bluesky post: fitted to the PDS's limits, measured, addressed by their CID.

Everything here is a pure function of the image bytes, so ``prepare`` can freeze the record
(blob refs, sizes, aspect ratios) before any upload and every attempt of ``publish``
recomputes and uploads the very same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import PurePath
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from ..base import MediaItem, PublishError, Reason

# app.bsky.embed.images: at most 4 images, each image/* and at most 2,000,000 bytes
# (enforced by the PDS when the record is written; checked here before anything is sent).
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000

# Tried in order until the JPEG fits: the full size first, then smaller; within a size,
# decreasing quality. A fixed ladder (and Pillow's deterministic encoder) gives the same
# bytes on every attempt.
_SCALES = (1.0, 0.75, 0.5, 0.35, 0.25, 0.15)
_QUALITIES = (90, 80, 70, 60)
# EXIF orientations that turn the picture a quarter: width and height swap on screen.
_QUARTER_TURNS = {5, 6, 7, 8}
_ORIENTATION = 0x0112


def blob_cid(data: bytes) -> str:
    """The blob's address (https://atproto.com/specs/blob): CIDv1, "raw" codec, sha2-256,
    base32."""
    digest = hashlib.sha256(data).digest()
    binary = bytes([0x01, 0x55, 0x12, len(digest)]) + digest  # v1, raw, sha2-256, 32 bytes
    return "b" + base64.b32encode(binary).decode("ascii").lower().rstrip("=")


def blob_ref(item: MediaItem) -> dict[str, Any]:
    return {
        "$type": "blob",
        "ref": {"$link": blob_cid(item.data)},
        "mimeType": item.mime_type,
        "size": len(item.data),
    }


def aspect_ratio(data: bytes) -> dict[str, int] | None:
    """Width and height as displayed (EXIF orientation applied); None if Pillow cannot
    read the image, which the PDS then judges by itself."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if image.getexif().get(_ORIENTATION) in _QUARTER_TURNS:
                width, height = height, width
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if width < 1 or height < 1:
        return None
    return {"width": width, "height": height}


def _as_rgb(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: transparent areas become white, as most viewers show them."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def fit_image(item: MediaItem, *, max_bytes: int = MAX_IMAGE_BYTES) -> MediaItem:
    """The image as sent to Bluesky: unchanged if small enough, else re-encoded as JPEG.

    Re-encoding walks a fixed ladder of sizes and qualities and keeps the first result under
    ``MAX_IMAGE_BYTES``; the orientation is applied (the EXIF data, like the location, is not
    kept). An image that cannot be read, or fit, is refused permanently.
    """
    if len(item.data) <= max_bytes or not item.mime_type.startswith("image/"):
        return item
    name = item.filename or "image"
    try:
        with Image.open(io.BytesIO(item.data)) as opened:
            image = _as_rgb(opened)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PublishError(
            f"Image {name} is {len(item.data)} bytes, over Bluesky's {max_bytes}, and "
            f"cannot be read to make it smaller ({exc}).",
            permanent=True,
            reason=Reason.MEDIA_REFUSED,
        ) from exc
    for scale in _SCALES:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        scaled = image if scale == 1.0 else image.resize(size, Image.Resampling.LANCZOS)
        for quality in _QUALITIES:
            out = io.BytesIO()
            scaled.save(out, format="JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return MediaItem(
                    data=out.getvalue(),
                    mime_type="image/jpeg",
                    alt_text=item.alt_text,
                    filename=str(PurePath(name).with_suffix(".jpg")),
                )
    raise PublishError(
        f"Image {name} cannot be made smaller than {max_bytes} bytes.",
        permanent=True,
        reason=Reason.MEDIA_REFUSED,
    )


def fit_images(media: tuple[MediaItem, ...]) -> tuple[MediaItem, ...]:
    return tuple(fit_image(item) for item in media)


def images_embed(media: tuple[MediaItem, ...]) -> dict[str, Any]:
    """The ``app.bsky.embed.images`` of the record, from fitted images; refuses what the PDS
    would refuse."""
    if len(media) > MAX_IMAGES:
        raise PublishError(
            f"Bluesky accepts at most {MAX_IMAGES} images per post.",
            permanent=True,
            reason=Reason.MEDIA_REFUSED,
        )
    images = []
    for item in media:
        if not item.mime_type.startswith("image/"):
            raise PublishError(
                f"Bluesky posts take images only, not {item.mime_type}.",
                permanent=True,
                reason=Reason.MEDIA_REFUSED,
            )
        if len(item.data) > MAX_IMAGE_BYTES:
            raise PublishError(
                f"Image {item.filename or ''} is {len(item.data)} bytes; Bluesky accepts at most "
                f"{MAX_IMAGE_BYTES}.",
                permanent=True,
                reason=Reason.MEDIA_REFUSED,
            )
        image: dict[str, Any] = {"alt": item.alt_text, "image": blob_ref(item)}
        ratio = aspect_ratio(item.data)
        if ratio is not None:
            # Lets clients reserve the right space before the image loads.
            image["aspectRatio"] = ratio
        images.append(image)
    return {"$type": "app.bsky.embed.images", "images": images}

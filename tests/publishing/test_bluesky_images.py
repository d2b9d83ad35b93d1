"""Bluesky images: aspect ratio in the record, and images over the PDS's 2,000,000 bytes
re-encoded as JPEG, the same bytes on every attempt."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from publishing.adapters.base import MediaItem, PublishError
from publishing.adapters.bluesky.images import (
    MAX_IMAGE_BYTES,
    aspect_ratio,
    blob_cid,
    fit_image,
    images_embed,
)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def noise(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Random pixels (fixed seed): they compress badly, so a PNG of them is large."""
    bands = len(mode)
    return Image.frombytes(
        mode, (width, height), random.Random(5).randbytes(width * height * bands)
    )


def big_png(mode: str = "RGB") -> MediaItem:
    data = encoded(noise(1200, 800, mode), "PNG")
    assert len(data) > MAX_IMAGE_BYTES
    return MediaItem(data=data, mime_type="image/png", alt_text="Bruit", filename="media/bruit.png")


def test_aspect_ratio_reads_width_and_height() -> None:
    assert aspect_ratio(encoded(Image.new("RGB", (3, 2)), "PNG")) == {"width": 3, "height": 2}


def test_aspect_ratio_follows_exif_quarter_turn() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = encoded(Image.new("RGB", (40, 30)), "JPEG", exif=exif.tobytes())
    assert aspect_ratio(data) == {"width": 30, "height": 40}


def test_aspect_ratio_of_unreadable_bytes_is_none() -> None:
    assert aspect_ratio(b"\x89PNG...") is None


def test_images_embed_adds_aspect_ratio() -> None:
    item = MediaItem(
        data=encoded(Image.new("RGB", (16, 9)), "PNG"), mime_type="image/png", alt_text=""
    )
    (image,) = images_embed((item,))["images"]
    assert image["aspectRatio"] == {"width": 16, "height": 9}


def test_fit_image_leaves_small_image_alone() -> None:
    item = MediaItem(
        data=encoded(Image.new("RGB", (8, 8)), "PNG"), mime_type="image/png", alt_text=""
    )
    assert fit_image(item) is item


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_fit_image_reencodes_big_image_as_jpeg_under_the_limit(mode: str) -> None:
    item = big_png(mode)
    fitted = fit_image(item)
    assert len(fitted.data) <= MAX_IMAGE_BYTES
    assert (fitted.mime_type, fitted.filename, fitted.alt_text) == (
        "image/jpeg",
        "media/bruit.jpg",
        "Bruit",
    )
    with Image.open(io.BytesIO(fitted.data)) as image:
        assert image.format == "JPEG"
        assert image.size[0] * 800 == image.size[1] * 1200  # same proportions


def test_fit_image_is_deterministic_so_prepared_refs_match_uploads() -> None:
    item = big_png()
    first, second = fit_image(item), fit_image(item)
    assert first.data == second.data
    embed = images_embed((first,))
    assert embed["images"][0]["image"]["ref"]["$link"] == blob_cid(second.data)
    assert embed["images"][0]["aspectRatio"] == {"width": 1200, "height": 800}


def test_fit_image_shrinks_when_quality_alone_is_not_enough() -> None:
    # 3200 x 2400 random pixels stay over the limit as a JPEG even at the lowest quality.
    data = encoded(noise(3200, 2400), "JPEG", quality=95)
    fitted = fit_image(MediaItem(data=data, mime_type="image/jpeg", alt_text=""))
    assert len(fitted.data) <= MAX_IMAGE_BYTES
    with Image.open(io.BytesIO(fitted.data)) as image:
        assert image.size[0] < 3200 and image.size[0] * 2400 == image.size[1] * 3200


def test_fit_image_refuses_unreadable_big_file_permanently() -> None:
    item = MediaItem(data=b"\xff" * (MAX_IMAGE_BYTES + 1), mime_type="image/jpeg", alt_text="")
    with pytest.raises(PublishError) as info:
        fit_image(item)
    assert info.value.permanent

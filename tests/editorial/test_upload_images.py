"""Uploads: JPEG, PNG, WebP and still GIF only (by content), within the pixel budget, and
stored re-encoded without their metadata (issue #13)."""

from __future__ import annotations

import html
import io
import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from editorial import images, services
from editorial.models import Post, RevisionMedia
from tests.conftest import Org

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _encode(fmt: str, size: tuple[int, int] = (12, 8), mode: str = "RGB", **params: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 1).save(buffer, fmt, **params)
    return buffer.getvalue()


def _psd(width: int = 4, height: int = 3) -> bytes:
    """A minimal Photoshop file (Pillow reads PSD but cannot write it): RGB, 8 bits, raw."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour mode data, resources, layers: empty
    return header + sections + struct.pack(">H", 0) + bytes(3 * width * height)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its dimensions but whose pixel data is garbage: decoding it would
    fail, so a refusal about its size shows the header alone was read."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"garbage")
        + chunk(b"IEND", b"")
    )


def _jpeg_with_gps_and_rotation() -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # shown turned a quarter: 12x8 stored, 8x12 displayed
    exif[0x010F] = "Appareil de la préfecture"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    return _encode("JPEG", exif=exif.tobytes())


# --- The accepted formats --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime", "suffix"),
    [
        ("JPEG", "image/jpeg", ".jpg"),
        ("PNG", "image/png", ".png"),
        ("WEBP", "image/webp", ".webp"),
        ("GIF", "image/gif", ".gif"),
    ],
)
def test_images_accepted_formats_are_re_encoded_in_their_own_format(
    fmt: str, mime: str, suffix: str
) -> None:
    clean = images.normalise(_encode(fmt), "affiche.bin")
    assert clean.mime_type == mime
    assert clean.filename == "affiche" + suffix
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert stored.format == fmt
        assert stored.size == (12, 8)


def test_images_camera_mpo_is_a_jpeg_of_its_first_picture() -> None:
    # Many phones and cameras write MPO: a JPEG followed by more pictures (not an animation).
    buffer = io.BytesIO()
    photo, depth = Image.new("RGB", (20, 10), "red"), Image.new("RGB", (20, 10), "blue")
    photo.save(buffer, "MPO", save_all=True, append_images=[depth])
    with Image.open(io.BytesIO(buffer.getvalue())) as original:
        assert (original.format, getattr(original, "n_frames", 1)) == ("MPO", 2)
    clean = images.normalise(buffer.getvalue(), "photo.jpg")
    assert clean.mime_type == "image/jpeg"
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert stored.format == "JPEG"
        assert getattr(stored, "n_frames", 1) == 1
        red, _green, blue = stored.convert("RGB").getpixel((5, 5))  # type: ignore[misc]
        assert red > 200 and blue < 60


def test_images_cmyk_jpeg_becomes_rgb() -> None:
    clean = images.normalise(_encode("JPEG", mode="CMYK"), "affiche.jpg")
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert stored.mode == "RGB"


def test_images_format_is_read_from_the_content_not_the_name() -> None:
    clean = images.normalise(_encode("PNG"), "photo.jpg")
    assert clean.mime_type == "image/png"
    assert clean.filename == "photo.png"


# --- Refused formats -------------------------------------------------------------------------


def _refusal(data: bytes) -> str:
    with pytest.raises(images.ImageRefused) as refused:
        images.probe(data)
    return refused.value.message


@pytest.mark.parametrize(
    ("name", "data", "pillow_format"),
    [
        ("eps", _encode("EPS"), "EPS"),
        ("psd", _psd(), "PSD"),
        ("ico", _encode("ICO", size=(16, 16)), "ICO"),
        ("tiff", _encode("TIFF"), "TIFF"),
        ("bmp", _encode("BMP"), "BMP"),
    ],
)
def test_images_other_formats_pillow_reads_are_refused(
    name: str, data: bytes, pillow_format: str
) -> None:
    # The fixture is real: Pillow itself recognises it, and only our filter refuses it.
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == pillow_format
    assert _refusal(data) == (
        "This file is not an image in an accepted format (JPEG, PNG, WebP, GIF): convert it."
    )


def test_images_text_is_refused() -> None:
    assert "accepted format" in _refusal(b"%!PS-Adobe-3.0\nshowpage\n")


def test_images_truncated_image_is_refused_as_unreadable() -> None:
    data = _encode("PNG", size=(64, 64))
    with pytest.raises(images.ImageRefused) as refused:
        images.normalise(data[: len(data) // 2], "coupee.png")
    assert "could not be read" in refused.value.message


def test_images_animated_gif_is_refused() -> None:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert "Animated images are not accepted" in _refusal(buffer.getvalue())


# --- Pixel budget ----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_images_over_the_pixel_limit_are_refused_from_the_header(settings: Any) -> None:
    settings.IMAGE_MAX_PIXELS = 40_000_000
    message = _refusal(_png_header_only(7000, 7000))  # 49 MP: over the limit
    assert message == (
        "The image is 7000 by 7000 pixels (49.0 megapixels); the limit is 40 megapixels: resize it."
    )


def test_images_decompression_bomb_is_refused_without_decoding() -> None:
    # 12000 x 12000 = 144 MP, the PNG of the issue: Pillow's guard (set from the setting when
    # the app starts) refuses it at the header; garbage pixel data is never reached.
    assert _refusal(_png_header_only(12_000, 12_000)) == (
        "The image is larger than 40 megapixels: resize it."
    )


def test_images_limit_is_a_setting(settings: Any) -> None:
    settings.IMAGE_MAX_PIXELS = 50
    assert "limit is 5e-05 megapixels" in _refusal(_encode("PNG", size=(10, 6)))
    assert images.probe(_encode("PNG", size=(10, 5))).width == 10


# --- Metadata --------------------------------------------------------------------------------


def test_images_exif_gps_is_stripped_and_orientation_applied() -> None:
    source = _jpeg_with_gps_and_rotation()
    with Image.open(io.BytesIO(source)) as original:
        assert original.getexif().get_ifd(GPS_IFD)  # the fixture does carry a location
    clean = images.normalise(source, "photo.jpg")
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info
        assert stored.size == (8, 12)  # turned as it was shown, the tag gone with the EXIF
    assert b"Appareil" not in clean.data


def test_images_png_text_and_exif_chunks_are_dropped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jeanne Dupont, 12 rue des Lilas")
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD)[1] = "N"
    source = _encode("PNG", pnginfo=info, exif=exif.tobytes())
    clean = images.normalise(source, "carte.png")
    assert b"Lilas" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert dict(stored.getexif()) == {}
        assert "Author" not in stored.info


def test_images_webp_exif_is_dropped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Appareil de la préfecture"
    clean = images.normalise(_encode("WEBP", exif=exif.tobytes()), "a.webp")
    assert b"Appareil" not in clean.data


def test_images_transparency_survives_re_encoding() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(buffer, "PNG")
    clean = images.normalise(buffer.getvalue(), "logo.png")
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert stored.mode == "RGBA"
        assert stored.getpixel((0, 0)) == (0, 0, 0, 0)


# --- Through the service and the compose page -----------------------------------------------


@pytest.mark.django_db
def test_service_stores_the_re_encoded_image(org: Org) -> None:
    post = services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text="Une photo.",
        language="fr",
        media=[
            services.MediaInput(
                filename="photo.jpeg",
                data=_jpeg_with_gps_and_rotation(),
                alt_text="Le parvis",
                mime_type="image/png",  # what a client claims is not believed
            )
        ],
    )
    media = RevisionMedia.objects.get(revision__post=post)
    stored = media.file.read()
    assert media.mime_type == "image/jpeg"
    assert media.file.name.endswith(".jpg")
    assert b"Appareil" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert dict(image.getexif()) == {}


@pytest.mark.django_db
def test_service_refuses_a_psd_in_words_and_creates_nothing(org: Org) -> None:
    with pytest.raises(services.EditorialError) as refused:
        services.post_create(
            by=org.officer,
            accounts=[org.mastodon],
            text="Une maquette.",
            language="fr",
            media=[services.MediaInput(filename="maquette.png", data=_psd(), alt_text="x")],
        )
    assert "accepted format (JPEG, PNG, WebP, GIF)" in refused.value.message
    assert not Post.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "This file is not an image in an accepted format (JPEG, PNG, WebP, GIF)"),
        ("fr", "Ce fichier n'est pas une image dans un format accepté (JPEG, PNG, WebP, GIF)"),
    ],
)
def test_compose_refuses_an_eps_named_jpg_in_the_reader_language(
    org: Org, language: str, expected: str
) -> None:
    client = Client()
    client.force_login(org.officer)
    response = client.post(
        reverse("editorial:compose"),
        {
            "accounts": [org.mastodon.pk],
            "text": "Notre affiche.",
            "language": "fr",
            "image": SimpleUploadedFile("affiche.jpg", _encode("EPS"), content_type="image/jpeg"),
            "alt_text": "Affiche",
        },
        headers={"accept-language": language},
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert expected in page
    assert "Notre affiche." in page  # the text typed is kept
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_compose_refuses_a_huge_png_before_decoding(org: Org) -> None:
    client = Client()
    client.force_login(org.officer)
    response = client.post(
        reverse("editorial:compose"),
        {
            "accounts": [org.mastodon.pk],
            "text": "La carte.",
            "language": "fr",
            "image": SimpleUploadedFile("carte.png", _png_header_only(12_000, 12_000)),
            "alt_text": "Carte",
        },
        headers={"accept-language": "en"},
    )
    assert "larger than 40 megapixels" in response.content.decode()
    assert not Post.objects.exists()

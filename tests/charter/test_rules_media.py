from __future__ import annotations

import pytest

from charter.rules import RULES, Severity
from charter.snapshot import MediaSnapshot, PostSnapshot
from tests.charter.builders import mastodon, post

ALT_TEXT = RULES["media.alt_text"]


def _with(*media: MediaSnapshot) -> PostSnapshot:
    return post("Texte", mastodon("Texte"), media=media)


def test_media_alt_text_described_image_passes() -> None:
    image = MediaSnapshot("ruban.jpg", "La préfète coupe le ruban.", mime_type="image/jpeg")
    assert ALT_TEXT.run(_with(image)) == ()


def test_media_alt_text_missing_blocks_naming_the_image() -> None:
    image = MediaSnapshot("ruban.jpg", "", mime_type="image/jpeg")
    (finding,) = ALT_TEXT.run(_with(image))
    assert finding.severity is Severity.BLOCK
    assert finding.rule == "media.alt_text"
    assert "ruban.jpg" in finding.message


def test_media_alt_text_blank_counts_as_missing() -> None:
    image = MediaSnapshot("ruban.jpg", " \n\t", mime_type="image/png")
    assert len(ALT_TEXT.run(_with(image))) == 1


def test_media_alt_text_file_name_counts_as_missing() -> None:
    image = MediaSnapshot("IMG_0042.JPG", "img_0042.jpg", mime_type="image/jpeg")
    (finding,) = ALT_TEXT.run(_with(image))
    assert "file name" in finding.message


def test_media_alt_text_reports_each_undescribed_image() -> None:
    media = (
        MediaSnapshot("a.jpg", "", mime_type="image/jpeg"),
        MediaSnapshot("b.jpg", "Une carte.", mime_type="image/jpeg"),
        MediaSnapshot("c.png", "", mime_type="image/png"),
    )
    findings = ALT_TEXT.run(_with(*media))
    assert ["a.jpg" in findings[0].message, "c.png" in findings[1].message] == [True, True]
    assert len(findings) == 2


def test_media_alt_text_unknown_type_is_treated_as_an_image() -> None:
    assert len(ALT_TEXT.run(_with(MediaSnapshot("scan", "")))) == 1


def test_media_alt_text_ignores_video() -> None:
    assert ALT_TEXT.run(_with(MediaSnapshot("clip.mp4", "", mime_type="video/mp4"))) == ()


def test_media_alt_text_post_without_media_passes() -> None:
    assert ALT_TEXT.run(_with()) == ()


# --- a11y.alt_quality --------------------------------------------------------------------------

ALT_QUALITY = RULES["a11y.alt_quality"]
BODY = "Inauguration du nouveau centre de services, en présence de la préfète."


def _quality(alt: str, filename: str = "ruban.jpg") -> list[tuple[tuple[int, int] | None, str]]:
    image = MediaSnapshot(filename, alt, mime_type="image/jpeg")
    findings = ALT_QUALITY.run(post(BODY, mastodon(BODY), media=(image,)))
    return [(f.span, f.message) for f in findings]


def test_a11y_alt_quality_description_passes() -> None:
    assert _quality("La préfète coupe le ruban devant l'entrée du centre.") == []


@pytest.mark.parametrize("alt", ["IMG_2041.JPG", "photo-finale.png", "DSC01234", "PXL_20260312"])
def test_a11y_alt_quality_file_name_reported(alt: str) -> None:
    ((span, message),) = _quality(alt)
    assert span is None
    assert "file name" in message


@pytest.mark.parametrize(
    "alt", ["Photo", "une image.", "L'illustration", "Capture d'écran", "visuel", "...", "123"]
)
def test_a11y_alt_quality_generic_words_reported(alt: str) -> None:
    ((_span, message),) = _quality(alt)
    assert "only says that there is an image" in message


@pytest.mark.parametrize("alt", ["Photo de la préfète", "Logo de la DGX", "Une carte."])
def test_a11y_alt_quality_generic_word_with_more_passes(alt: str) -> None:
    assert _quality(alt) == []


def test_a11y_alt_quality_copy_of_the_post_points_at_the_text() -> None:
    ((span, message),) = _quality("inauguration du nouveau CENTRE de services !")
    assert span == (0, 42)
    assert BODY[0:42] == "Inauguration du nouveau centre de services"
    assert "repeats the text" in message


def test_a11y_alt_quality_leaves_missing_and_file_name_to_media_alt_text() -> None:
    assert _quality("") == []
    assert _quality("ruban.jpg") == []


def test_a11y_alt_quality_is_a_warning() -> None:
    assert ALT_QUALITY.default_severity is Severity.WARN

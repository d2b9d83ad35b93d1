from __future__ import annotations

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

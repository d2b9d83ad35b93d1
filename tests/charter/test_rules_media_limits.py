from __future__ import annotations

from charter.rules import RULES, Severity
from charter.snapshot import MediaSnapshot
from tests.charter.builders import bluesky, mastodon, post

COUNT = RULES["media.count"]
ALT_LENGTH = RULES["media.alt_length"]


def _image(n: int, alt: str = "Une carte.", size: int = 1000) -> MediaSnapshot:
    return MediaSnapshot(f"p{n}.jpg", alt, mime_type="image/jpeg", size=size)


VIDEO = MediaSnapshot("clip.mp4", "Le clip.", mime_type="video/mp4", size=1000)


def _findings(*media: MediaSnapshot) -> list[tuple[int | None, str]]:
    snapshot = post("x", mastodon("x"), bluesky("x"), media=media)
    return [(f.account_id, f.message) for f in COUNT.run(snapshot)]


def test_media_count_four_images_pass_everywhere() -> None:
    assert _findings(*(_image(n) for n in range(4))) == []


def test_media_count_five_images_blocked_on_each_network() -> None:
    findings = COUNT.run(post("x", mastodon("x"), bluesky("x"), media=tuple(map(_image, range(5)))))
    assert [(f.account_id, f.severity) for f in findings] == [
        (1, Severity.BLOCK),
        (2, Severity.BLOCK),
    ]
    assert "Mastodon takes at most 4" in findings[0].message


def test_media_count_video_alone_passes_on_mastodon_only() -> None:
    assert [account for account, _ in _findings(VIDEO)] == [2]


def test_media_count_video_with_an_image_blocked_on_mastodon() -> None:
    findings = _findings(VIDEO, _image(1))
    assert "only attachment" in findings[0][1]
    assert findings[0][0] == 1


def test_media_count_heavy_bluesky_image_is_left_to_the_publisher() -> None:
    # The publisher re-encodes it under the limit (tests/publishing/test_bluesky_images.py).
    assert _findings(_image(1, size=2_000_001)) == []


def test_media_count_is_locked() -> None:
    assert COUNT.locked and ALT_LENGTH.locked


def test_media_alt_length_per_network() -> None:
    image = _image(1, alt="é" * 1501)
    findings = ALT_LENGTH.run(post("x", mastodon("x"), bluesky("x"), media=(image,)))
    assert [f.account_id for f in findings] == [1]
    assert "1501" in findings[0].message


def test_media_alt_length_bluesky_counts_graphemes() -> None:
    image = _image(1, alt="e\u0301" * 2000)  # 4000 codepoints, 2000 graphemes
    findings = ALT_LENGTH.run(post("x", mastodon("x"), bluesky("x"), media=(image,)))
    assert [f.account_id for f in findings] == [1]
    over = _image(1, alt="x" * 2001)
    findings = ALT_LENGTH.run(post("x", bluesky("x"), media=(over,)))
    assert [f.account_id for f in findings] == [2]

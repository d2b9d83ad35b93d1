"""What each network accepts as attachments: how many, of which kind, and how long a text
alternative may be."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from charter.counting import bluesky_graphemes
from charter.rules.base import Example, Finding, Rule, Severity
from charter.rules.length import BLUESKY, MASTODON, display_handle
from charter.snapshot import MediaSnapshot, PostSnapshot, RenditionSnapshot

# Mastodon: MAX_ATTACHMENTS (4, the default of instance_v2 configuration.statuses
# .max_media_attachments), and a video or audio file must be alone (PostStatusService).
MASTODON_MAX_MEDIA = 4
# Bluesky as our publisher posts it: one app.bsky.embed.images of at most 4 images, each at
# most 2,000,000 bytes (publishing/adapters/bluesky/images.py, from the lexicon).
BLUESKY_MAX_IMAGES = 4
# Mastodon: MediaAttachment::MAX_DESCRIPTION_LENGTH, counted in characters (codepoints).
MASTODON_MAX_ALT = 1500
# Bluesky: the lexicon sets no limit; the Bluesky app stops at 2000 (graphemes).
BLUESKY_MAX_ALT = 2000


def _kind(media: MediaSnapshot) -> str:
    mime = media.mime_type.lower()
    if mime.startswith(("video/", "audio/")):
        return "av"
    return "image" if not mime or mime.startswith("image/") else "other"


def _mastodon_problems(media: tuple[MediaSnapshot, ...]) -> Iterator[str]:
    if len(media) > MASTODON_MAX_MEDIA:
        yield gettext(
            "Mastodon takes at most %(limit)d attachments per post; there are %(count)d."
        ) % {
            "limit": MASTODON_MAX_MEDIA,
            "count": len(media),
        }
    if len(media) > 1 and any(_kind(m) == "av" for m in media):
        yield gettext(
            "On Mastodon a video or a sound must be the post's only attachment: publish the "
            "others in a separate post."
        )


def _bluesky_problems(media: tuple[MediaSnapshot, ...]) -> Iterator[str]:
    if len(media) > BLUESKY_MAX_IMAGES:
        yield gettext("Bluesky takes at most %(limit)d images per post; there are %(count)d.") % {
            "limit": BLUESKY_MAX_IMAGES,
            "count": len(media),
        }
    # An image over Bluesky's size limit is no problem of the author's: the publisher
    # re-encodes it to fit (publishing.adapters.bluesky.images.fit_image).
    for item in media:
        if _kind(item) != "image":
            yield gettext(
                "%(filename)s is not an image: Bluesky posts from Porte-voix take images only."
            ) % {"filename": item.filename}


def check_media_count(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    if not snapshot.media:
        return
    for rendition in snapshot.renditions:
        if rendition.network == MASTODON:
            problems = _mastodon_problems(snapshot.media)
        elif rendition.network == BLUESKY:
            problems = _bluesky_problems(snapshot.media)
        else:
            continue
        for problem in problems:
            message = gettext("For %(handle)s: %(problem)s") % {
                "handle": display_handle(rendition.handle),
                "problem": problem,
            }
            yield Finding("media.count", severity, message, account_id=rendition.account_id)


def check_alt_length(
    snapshot: PostSnapshot, params: Mapping[str, Any], severity: Severity
) -> Iterator[Finding]:
    for rendition in snapshot.renditions:
        for media in snapshot.media:
            if rendition.network == MASTODON:
                used, limit = len(media.alt_text), MASTODON_MAX_ALT
            elif rendition.network == BLUESKY:
                used, limit = bluesky_graphemes(media.alt_text), BLUESKY_MAX_ALT
            else:
                continue
            if used <= limit:
                continue
            message = gettext(
                "The text alternative of %(filename)s is %(used)d characters; %(network)s takes "
                "%(limit)d at most: shorten it by %(excess)d (put the details in the post)."
            ) % {
                "filename": media.filename,
                "used": used,
                "network": rendition.network.capitalize(),
                "limit": limit,
                "excess": used - limit,
            }
            yield Finding("media.alt_length", severity, message, account_id=rendition.account_id)


def _snapshot(*media: MediaSnapshot) -> PostSnapshot:
    body = "Retour en images sur l'inauguration du centre."
    renditions = (
        RenditionSnapshot(1, MASTODON, "dgx@social.example", body, "— DGX ^JD"),
        RenditionSnapshot(2, BLUESKY, "dgx.bsky.social", body, "— DGX ^JD"),
    )
    return PostSnapshot(text=body, language="fr", renditions=renditions, media=media)


def _photo(number: int, alt: str = "La préfète coupe le ruban.") -> MediaSnapshot:
    return MediaSnapshot(f"photo{number}.jpg", alt, mime_type="image/jpeg", size=800_000)


MEDIA_COUNT = Rule(
    code="media.count",
    title=_("Attachments each network accepts"),
    rationale=_(
        "Mastodon takes at most 4 attachments (the default of an instance), and a video or a "
        "sound only alone. Bluesky posts from Porte-voix take at most 4 images, of at most "
        "2,000,000 bytes each, and no video or sound. The network would refuse the post."
    ),
    default_severity=Severity.BLOCK,
    check=check_media_count,
    locked=True,
    waivable=False,
    examples=(
        Example(_("Four photos."), _snapshot(*(_photo(n) for n in range(1, 5))), passes=True),
        Example(_("Five photos."), _snapshot(*(_photo(n) for n in range(1, 6))), passes=False),
    ),
)

MEDIA_ALT_LENGTH = Rule(
    code="media.alt_length",
    title=_("Length of text alternatives per network"),
    rationale=_(
        "Mastodon refuses a description over 1500 characters; the Bluesky app stops at 2000. "
        "A long description belongs in the post itself, or in a linked page."
    ),
    default_severity=Severity.BLOCK,
    check=check_alt_length,
    locked=True,
    waivable=False,
    examples=(
        Example(_("A 1500-character description."), _snapshot(_photo(1, "x" * 1500)), passes=True),
        Example(
            _("A 1600-character description: too long for Mastodon, fine for Bluesky."),
            _snapshot(_photo(1, "x" * 1600)),
            passes=False,
        ),
    ),
)

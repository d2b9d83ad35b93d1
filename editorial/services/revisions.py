"""Revisions as the services build them: the text, the images (checked and re-encoded), the
network options and the content hash an approval covers."""

from __future__ import annotations

import dataclasses
import hashlib
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from accounts.models import Membership, OrgUnit, SocialAccount, User
from editorial import images
from editorial.models import (
    Post,
    Revision,
    RevisionMedia,
)
from editorial.networks import NetworkOptions
from editorial.snapshots import links_of
from editorial.workflow import (
    EditorialError,
)


@dataclass(frozen=True)
class MediaInput:
    filename: str
    data: bytes
    alt_text: str
    mime_type: str = ""
    # Mastodon focal point (x, y), each in -1..1; None: the centre.
    focus: tuple[float, float] | None = None
    # The bytes of an image already stored (carried into a new revision): they were
    # checked and re-encoded when first uploaded; a second pass of a lossy encoder would
    # only lose quality and change the hash.
    stored: bool = False


def speaking_unit(author: User, accounts: Sequence[SocialAccount]) -> OrgUnit:
    """The author's unit used in the byline: the first unit where they may draft."""
    membership = (
        Membership.objects.filter(
            user=author, role__in=[Membership.Role.AUTHOR, Membership.Role.ADMIN]
        )
        .select_related("unit")
        .order_by("pk")
        .first()
    )
    if membership is not None:
        return membership.unit
    return accounts[0].unit


def checked_options(network: NetworkOptions) -> NetworkOptions:
    problems = network.problems()
    if problems:
        raise EditorialError(" ".join(problems))
    return network


def new_revision(
    post: Post,
    *,
    text: str,
    language: str,
    media: Sequence[MediaInput],
    by: User,
    embargo_until: datetime | None = None,
    source: str = "",
    network: NetworkOptions | None = None,
    thread: Sequence[str] = (),
) -> Revision:
    network = network or NetworkOptions()
    revision = Revision(
        post=post,
        number=(post.current_revision.number + 1) if post.current_revision else 1,
        text=text,
        language=language,
        created_by=by,
        embargo_until=embargo_until,
        source=source.strip(),
        variants=network.cleaned_variants(),
        mastodon_visibility=network.visibility,
        spoiler_text=network.spoiler_text.strip(),
        sensitive=network.sensitive,
        bluesky_label=network.self_label,
        reply_gate=network.reply_gate,
        thread=_thread_parts(thread),
    )
    revision.content_hash = ""
    revision.tier = post.tier
    revision.requested_publish_at = post.requested_publish_at
    revision.accounts_record = [{"id": a.pk, "name": str(a)} for a in post.accounts.all()]
    revision.save()
    for position, given in enumerate(media):
        _store_media(revision, given, position)
    revision.content_hash = revision_hash(post, revision)
    revision.save(update_fields=["content_hash"])
    post.current_revision = revision
    return revision


def _store_media(revision: Revision, given: MediaInput, position: int) -> None:
    """One image of the revision, stored (an upload cleaned first) with its alt text."""
    item = given if given.stored else _clean_upload(given)
    digest = hashlib.sha256(item.data).hexdigest()
    mime = item.mime_type or mimetypes.guess_type(item.filename)[0] or "application/octet-stream"
    stored = RevisionMedia(
        revision=revision,
        alt_text=item.alt_text.strip(),
        mime_type=mime,
        size=len(item.data),
        sha256=digest,
        position=position,
    )
    if item.focus is not None:
        if not all(-1.0 <= value <= 1.0 for value in item.focus):
            raise EditorialError(_("Give the image's focus point as two numbers between -1 and 1."))
        stored.focus_x, stored.focus_y = item.focus
    stored.file.save(item.filename, ContentFile(item.data), save=False)
    stored.save()


def _clean_upload(item: MediaInput) -> MediaInput:
    """An uploaded image as stored: one of the accepted formats, within the pixel budget,
    re-encoded without its metadata (editorial.images); refused in words otherwise."""
    try:
        clean = images.normalise(item.data, item.filename)
    except images.ImageRefused as exc:
        raise EditorialError(exc.message) from exc
    return dataclasses.replace(
        item, data=clean.data, mime_type=clean.mime_type, filename=clean.filename, stored=True
    )


MAX_THREAD_PARTS = 25


def _thread_parts(parts: Sequence[str]) -> list[str]:
    """The following parts of a thread, blank ones dropped (a trailing separator is no part)."""
    cleaned = [p.strip() for p in parts if p.strip()]
    if len(cleaned) + 1 > MAX_THREAD_PARTS:
        raise EditorialError(
            _("A thread has at most %(max)s parts: this one has %(n)s. Split it in two posts.")
            % {"max": MAX_THREAD_PARTS, "n": len(cleaned) + 1}
        )
    return cleaned


def check_links_later(text: str) -> None:
    """Once the draft is saved, a worker fetches its links (``links.reachable``).

    The task sends on commit, best effort (``recovered_by``): a broker that is down must not
    lose the draft; the check is skipped, and logged.
    """
    from charter import tasks

    urls = links_of(text)
    if urls:
        tasks.check_links.delay(urls)


def revision_hash(post: Post, revision: Revision) -> str:
    media_meta: list[dict[str, Any]] = []
    for m in revision.media.all():
        meta: dict[str, Any] = {"sha256": m.sha256, "alt_text": m.alt_text}
        if m.focus_x is not None and m.focus_y is not None:
            meta["focus"] = [m.focus_x, m.focus_y]
        media_meta.append(meta)
    return revision.compute_hash(
        account_ids=[a.pk for a in post.accounts.all()], media=media_meta, tier=post.tier
    )


def _copy_media(revision: Revision) -> list[MediaInput]:
    items = []
    for m in revision.media.all():
        with m.file.open("rb") as fh:
            items.append(
                MediaInput(
                    filename=m.file.name.rsplit("/", 1)[-1],
                    data=fh.read(),
                    alt_text=m.alt_text,
                    mime_type=m.mime_type,
                    focus=m.focus,
                    stored=True,
                )
            )
    return items


def kept_media(revision: Revision, alt_texts: Sequence[str] | None) -> list[MediaInput]:
    """The revision's images carried into the next one, with the alt texts typed (by
    position) when given: an alt text edited without a new upload is kept, never dropped."""
    media = _copy_media(revision)
    if alt_texts is None:
        return media
    if len(alt_texts) != len(media):
        raise EditorialError(_("The images changed meanwhile: open the post again."))
    return [dataclasses.replace(m, alt_text=alt) for m, alt in zip(media, alt_texts, strict=True)]

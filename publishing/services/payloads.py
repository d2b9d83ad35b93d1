"""What is sent: each publication's post (text, images, reply references), and its payload,
built by the adapter and stored before the first send so that every retry sends exactly it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Case, JSONField, Value, When

from publishing.adapters.base import MediaItem, OutgoingPost, PublishError, ReplyRef
from publishing.models import Publication, PublicationState
from publishing.services.attempts import attempt_failed
from publishing.services.network import adapter_for, credentials_of

P = PublicationState


def outgoing_posts(
    publications: list[Publication], started: datetime, states: dict[UUID, PublicationState]
) -> dict[UUID, OutgoingPost]:
    """Each publication's post, built once per attempt: prepare and publish both need it,
    and it reads the images from storage and the thread's reply references from the
    database. One that cannot be built is recorded as failed (its state in ``states``)."""
    posts: dict[UUID, OutgoingPost] = {}
    for publication in publications:
        try:
            posts[publication.pk] = _outgoing(publication)
        except Exception as exc:
            states[publication.pk] = attempt_failed(publication, started, exc)
    return posts


def _outgoing(publication: Publication) -> OutgoingPost:
    revision = publication.post.current_revision
    media: list[MediaItem] = []
    # The images go with the thread's first part.
    if revision is not None and publication.part == 0:
        for m in revision.media.all():
            with m.file.open("rb") as fh:
                media.append(
                    MediaItem(
                        data=fh.read(),
                        mime_type=m.mime_type,
                        alt_text=m.alt_text,
                        filename=m.file.name,
                        focus=m.focus,
                    )
                )
    reply = _reply_ref(publication)
    if revision is None:
        return OutgoingPost(text=publication.text, language=publication.language, reply=reply)
    return OutgoingPost(
        text=publication.text,
        language=publication.language,
        media=tuple(media),
        visibility=revision.mastodon_visibility,
        spoiler_text=revision.spoiler_text,
        sensitive=revision.sensitive,
        self_label=revision.bluesky_label,
        reply_gate=revision.reply_gate,
        reply=reply,
    )


def _reply_ref(publication: Publication) -> ReplyRef | None:
    """For a later part of a thread: the published first part and the part just before."""
    if publication.part == 0:
        return None
    siblings = {
        p.part: p
        for p in Publication.objects.filter(
            post_id=publication.post_id,
            account_id=publication.account_id,
            part__in=[0, publication.part - 1],
            state=P.PUBLISHED,
        )
    }
    root, parent = siblings.get(0), siblings.get(publication.part - 1)
    if root is None or parent is None:
        # Released only after its predecessor was published: this is a bug, not the network.
        raise PublishError("The previous part of the thread is not published.", permanent=True)
    return ReplyRef(
        root_id=root.remote_id,
        parent_id=parent.remote_id,
        root_cid=root.remote_cid,
        parent_cid=parent.remote_cid,
    )


def with_payloads(
    publications: list[Publication], posts: dict[UUID, OutgoingPost], started: datetime
) -> list[tuple[Publication, PublicationState | None]]:
    """Build and store the payload of those sent for the first time, all before any send.

    Stored (and committed) before the first send: every retry sends exactly this. A
    publication whose payload cannot be built comes back with the state its failure left.
    """
    failed: dict[UUID, PublicationState] = {}
    built: dict[UUID, dict[str, Any]] = {}
    for publication in publications:
        if publication.payload is not None:
            continue
        try:
            prepared = adapter_for(publication.account).prepare(
                credentials_of(publication.account),
                posts[publication.pk],
                idempotency_key=str(publication.pk),
            )
        except Exception as exc:
            failed[publication.pk] = attempt_failed(publication, started, exc)
            continue
        built[publication.pk] = prepared.data
    if built:
        json = JSONField()
        stored = Publication.objects.filter(pk__in=built, payload__isnull=True).update(
            payload=Case(
                *(When(pk=pk, then=Value(data, output_field=json)) for pk, data in built.items()),
                output_field=json,
            )
        )
        if stored != len(built):
            # Another attempt stored some payloads first: send those, never a second one.
            rows = Publication.objects.filter(pk__in=built).values_list("pk", "payload")
            built = {pk: payload for pk, payload in rows if payload is not None}
        for publication in publications:
            if publication.pk in built:
                publication.payload = built[publication.pk]
    return [(p, failed.get(p.pk)) for p in publications]

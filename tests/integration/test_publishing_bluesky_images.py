"""A photo over Bluesky's 2,000,000 bytes is re-encoded at prepare time, uploaded as the same
JPEG on every attempt, and the record carries its aspect ratio."""

from __future__ import annotations

import io
import random
import uuid
from typing import Any

from PIL import Image

from publishing.adapters.base import Credentials, MediaItem, OutgoingPost
from publishing.adapters.bluesky import BlueskyAdapter
from publishing.adapters.bluesky.images import MAX_IMAGE_BYTES, blob_cid, fit_image


def test_bluesky_big_image_published_as_fitted_jpeg_with_aspect_ratio(
    bluesky_peer: Any, bluesky_account: Any
) -> None:
    pixels = Image.frombytes("RGB", (1200, 800), random.Random(5).randbytes(1200 * 800 * 3))
    out = io.BytesIO()
    pixels.save(out, format="PNG")
    photo = MediaItem(
        data=out.getvalue(), mime_type="image/png", alt_text="Bruit", filename="b.png"
    )
    assert len(photo.data) > MAX_IMAGE_BYTES
    adapter = BlueskyAdapter(timeout=10, allow_http=True)
    credentials = Credentials(
        server_url=bluesky_peer.url,
        handle=bluesky_account.handle,
        secret=bluesky_account.app_password,
    )
    post = OutgoingPost(text="Une grande image.", language="fr", media=(photo,))
    payload = adapter.prepare(credentials, post, idempotency_key=str(uuid.uuid4()))

    first = adapter.publish(credentials, payload, post)
    again = adapter.publish(credentials, payload, post)  # a retry uploads the same bytes

    assert again == first
    # The PDS gives the record back identical, blob refs and aspect ratio included.
    assert adapter.lookup(credentials, payload) == first
    record = (
        bluesky_peer.client(bluesky_account)
        .com.atproto.repo.get_record(
            {
                "repo": bluesky_account.did,
                "collection": "app.bsky.feed.post",
                "rkey": payload.data["rkey"],
            }
        )
        .value
    )
    (image,) = record.embed.images
    assert image.image.mime_type == "image/jpeg"
    assert image.image.size <= MAX_IMAGE_BYTES
    assert image.image.ref.link == blob_cid(fit_image(photo).data)
    assert (image.aspect_ratio.width, image.aspect_ratio.height) == (1200, 800)

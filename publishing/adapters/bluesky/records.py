"""Records and blobs on the PDS: record keys (TIDs), ``createdAt``, the post record, blob
uploads, and the record calls the adapter makes: ``putRecord`` (with ``swapRecord: null``),
``applyWrites`` (several records in one commit) and ``getRecord``. Plain functions over an
SDK client; the adapter decides when to call them."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

from atproto_client import Client, models  # type: ignore[import-untyped]
from atproto_client.exceptions import BadRequestError, ModelError  # type: ignore[import-untyped]

from ..base import MediaItem, OutgoingPost, PublishError
from .errors import SDK_ERRORS, classify_bluesky_error, may_have_written, xrpc_parts
from .images import blob_cid, fit_images, images_embed
from .options import POST_COLLECTION, UnknownOption, self_labels, threadgate_spec

# --- Record keys -------------------------------------------------------------------------
# https://atproto.com/specs/tid: 64 bits, top bit 0, 53 bits of microseconds since the Unix
# epoch, 10 bits of clock identifier; written as 13 characters of base32-sortable so that
# keys sort by time. The SDK 0.0.73 validates TIDs but has no generator.

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_CLOCK_ID = secrets.randbelow(1024)  # per process: two workers rarely share a key
_tid_lock = threading.Lock()
_tid_last_micros = 0


def encode_tid(micros: int, clock_id: int) -> str:
    if not (0 <= micros < 2**53 and 0 <= clock_id < 2**10):
        raise ValueError("TID timestamp or clock id out of range")
    value = (micros << 10) | clock_id
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def new_tid() -> tuple[str, int]:
    """A fresh TID and its microsecond timestamp, strictly increasing within the process."""
    global _tid_last_micros  # noqa: PLW0603 - the monotonic clock is process-wide on purpose
    with _tid_lock:
        micros = max(time.time_ns() // 1000, _tid_last_micros + 1)
        _tid_last_micros = micros
    return encode_tid(micros, _TID_CLOCK_ID), micros


def iso_millis(micros: int) -> str:
    """``createdAt`` as Bluesky writes it: UTC, milliseconds, "Z"."""
    moment = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- The post record ---------------------------------------------------------------------


def post_record(
    post: OutgoingPost, created_at: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The post record without its facets, and the thread gate to write beside it."""
    record: dict[str, Any] = {
        "$type": POST_COLLECTION,
        "text": post.text,
        "createdAt": created_at,
    }
    if post.language:
        # Always explicit: the SDK's send_post would default to ["en"].
        record["langs"] = [post.language]
    try:
        labels = self_labels(post.self_label)
        gate = threadgate_spec(post.reply_gate, created_at)
    except UnknownOption as exc:
        raise PublishError(str(exc), permanent=True) from exc
    if labels is not None:
        record["labels"] = labels
    if post.reply is not None:
        record["reply"] = {
            "root": {"uri": post.reply.root_id, "cid": post.reply.root_cid},
            "parent": {"uri": post.reply.parent_id, "cid": post.reply.parent_cid},
        }
        gate = None  # a reply gate belongs to the thread's first post only
    if post.media:
        record["embed"] = images_embed(fit_images(post.media))
    return record, gate


# --- Images ------------------------------------------------------------------------------
# Fitted, measured and addressed in ``images``; ``prepare`` freezes their refs in the
# record and every ``publish`` uploads the same fitted bytes right before the record.


def upload_images(client: Client, record: dict[str, Any], media: tuple[MediaItem, ...]) -> None:
    """Upload the blobs the frozen record points to; uploading the same bytes again is harmless.

    The PDS keeps an unreferenced blob for a while only, so blobs are sent on every attempt,
    right before the record.
    """
    expected = [image["image"] for image in record.get("embed", {}).get("images", [])]
    if [ref["ref"]["$link"] for ref in expected] != [blob_cid(item.data) for item in media]:
        raise PublishError(
            "The images differ from those of the prepared post; prepare it again.", permanent=True
        )
    for item, ref in zip(media, expected, strict=True):
        response = client.invoke_procedure(
            "com.atproto.repo.uploadBlob",
            content=item.data,
            headers={"Content-Type": item.mime_type},
            output_encoding="application/json",
        )
        blob = response.content.get("blob", {}) if isinstance(response.content, dict) else {}
        if blob.get("ref", {}).get("$link") != ref["ref"]["$link"]:
            raise ModelError(f"uploadBlob answered {response.content!r:.200}")
        if blob.get("mimeType") != ref["mimeType"]:
            # The PDS sniffs the type from the bytes; the record must say the same.
            raise PublishError(
                f"Image declared as {ref['mimeType']} but Bluesky reads it as "
                f"{blob.get('mimeType')}.",
                permanent=True,
            )


def upload_card_thumb(client: Client, payload: dict[str, Any]) -> None:
    """Upload the link card's thumbnail, stored in the payload at prepare time (the page may
    have changed since: the record points to these bytes)."""
    encoded = payload.get("card_thumb")
    if not encoded:
        return
    thumb = payload["record"]["embed"]["external"]["thumb"]
    data = base64.b64decode(encoded)
    if blob_cid(data) != thumb["ref"]["$link"]:
        raise PublishError("The link card's image differs from the prepared one.", permanent=True)
    response = client.invoke_procedure(
        "com.atproto.repo.uploadBlob",
        content=data,
        headers={"Content-Type": thumb["mimeType"]},
        output_encoding="application/json",
    )
    blob = response.content.get("blob", {}) if isinstance(response.content, dict) else {}
    if blob.get("ref", {}).get("$link") != thumb["ref"]["$link"]:
        raise ModelError(f"uploadBlob answered {response.content!r:.200}")


def put_record(
    client: Client, did: str, collection: str, rkey: str, record: dict[str, Any]
) -> dict[str, Any]:
    """``putRecord`` with ``swapRecord: null``: written if absent, a no-op if identical."""
    body = {
        "repo": did,
        "collection": collection,
        "rkey": rkey,
        "record": record,
        # Explicit null = "only if absent, or identical"; the SDK's put_record would drop
        # the None, so the body is sent as raw JSON.
        "swapRecord": None,
    }
    answer = _write(client, "com.atproto.repo.putRecord", body)
    if not isinstance(answer, dict) or "uri" not in answer:
        raise ModelError(f"putRecord answered {answer!r:.200}")
    return answer


def create_records(
    client: Client, did: str, records: list[tuple[str, str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Create ``(collection, rkey, record)`` in one ``com.atproto.repo.applyWrites`` call: one
    commit of the repository, so either all of them are public or none is
    (https://docs.bsky.app/docs/api/com-atproto-repo-apply-writes). Each result's ``uri``
    and ``cid``, in order.

    ``applyWrites`` has no ``swapRecord``: a ``create`` over an existing key fails the whole
    commit (the reference PDS answers 500, not a 409), and an ``update`` overwrites whatever
    is there, so a repeat is never answered "already done" here; the caller checks with
    ``get_record`` after an unknown outcome.
    """
    body = {
        "repo": did,
        "writes": [
            {
                "$type": "com.atproto.repo.applyWrites#create",
                "collection": collection,
                "rkey": rkey,
                "value": record,
            }
            for collection, rkey, record in records
        ],
    }
    answer = _write(client, "com.atproto.repo.applyWrites", body)
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or len(results) != len(records):
        raise ModelError(f"applyWrites answered {answer!r:.200}")
    if not all(isinstance(result, dict) and "uri" in result for result in results):
        raise ModelError(f"applyWrites answered {answer!r:.200}")
    return results


def get_record(client: Client, did: str, collection: str, rkey: str) -> dict[str, Any] | None:
    """``getRecord``'s answer (``uri``, ``cid``, ``value``), or None when there is no record
    under that key."""
    try:
        response = client.invoke_query(
            "com.atproto.repo.getRecord",
            params=models.ComAtprotoRepoGetRecord.Params(
                repo=did, collection=collection, rkey=rkey
            ),
            output_encoding="application/json",
        )
    except BadRequestError as exc:
        if xrpc_parts(exc)[1] == "RecordNotFound":
            return None
        raise
    answer = response.content
    if not isinstance(answer, dict) or "uri" not in answer:
        raise ModelError(f"getRecord answered {answer!r:.200}")
    return answer


def _write(client: Client, nsid: str, body: dict[str, Any]) -> Any:
    """A write procedure sent as raw JSON (the SDK's models would drop explicit nulls); an
    error after the request may have been applied is an unknown outcome."""
    try:
        response = client.invoke_procedure(
            nsid,
            content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            input_encoding="application/json",
            output_encoding="application/json",
        )
    except SDK_ERRORS as exc:
        if may_have_written(exc):
            raise classify_bluesky_error(exc).outcome_unknown() from exc
        raise  # a verdict, or a dead session that _run logs in again for
    return response.content

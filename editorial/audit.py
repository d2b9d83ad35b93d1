"""The audit trail's hash chain: how an event is hashed and how a chain is checked.

Each event's hash is SHA-256 over a canonical JSON of its fields and the previous event's
hash, so changing, removing or slipping in a row breaks every link after it. That alone proves
only that the rows agree with each other: anyone able to write to the table could rewrite a
row and recompute every later hash. So each event also carries a signature (``mac``): an
HMAC-SHA256, under AUDIT_HMAC_KEY (a setting, never in the database), of its seq and hash.
As the hash covers the previous hash, one valid signature vouches for the whole chain up to
its event. Without the key, a rewritten chain cannot be signed again.

Events written before signing began (migration 0023) carry no signature; that migration
appended one signed ``audit_signing_started`` event after them, which vouches for them. A
chain therefore starts signed at seq 1, or turns signed at that event, and every event after
the first signed one is signed: stripping the signatures, or rewriting the chain and letting
the application sign what follows, shows.

What no key can show is the tail cut off back to an earlier signed event (the head row is in
the database too). Heads exported out of the database (``export_audit_head``, or the line the
beat logs) catch that: ``verify_audit --heads FILE``. docs/operations.md says what this does
and does not protect against.

Pure functions, no model imports: the migrations that chained and signed it use them too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

GENESIS_HASH = "0" * 64
# The event the signing migration appended after the events it found (unsigned).
SIGNING_STARTED = "audit_signing_started"


class ChainedEvent(Protocol):
    """What the chain reads from an event: ``AuditEvent``, or its historical model."""

    @property
    def pk(self) -> Any: ...
    @property
    def seq(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def mac(self) -> str: ...
    @property
    def post_id(self) -> int | None: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def on_behalf_of_id(self) -> int | None: ...
    @property
    def verb(self) -> str: ...
    @property
    def from_state(self) -> str: ...
    @property
    def to_state(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def created_at(self) -> datetime: ...


def event_digest(
    *,
    seq: int,
    prev_hash: str,
    post_id: int | None,
    actor_id: int | None,
    on_behalf_of_id: int | None,
    verb: str,
    from_state: str,
    to_state: str,
    data: Any,
    created_at: datetime,
) -> str:
    """SHA-256 (hex) of the event's canonical JSON. Changing this breaks every stored chain."""
    canonical = json.dumps(
        {
            "seq": seq,
            "prev_hash": prev_hash,
            "post_id": post_id,
            "actor_id": actor_id,
            "on_behalf_of_id": on_behalf_of_id,
            "verb": verb,
            "from_state": from_state,
            "to_state": to_state,
            "data": data,
            # Stored with microseconds by both databases; UTC so the zone setting cannot matter.
            "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest_of(event: ChainedEvent) -> str:
    """The hash the event should carry, recomputed from its other fields."""
    return event_digest(
        seq=event.seq,
        prev_hash=event.prev_hash,
        post_id=event.post_id,
        actor_id=event.actor_id,
        on_behalf_of_id=event.on_behalf_of_id,
        verb=event.verb,
        from_state=event.from_state,
        to_state=event.to_state,
        data=event.data,
        created_at=event.created_at,
    )


def event_mac(key: str, *, seq: int, hash: str) -> str:
    """The event's signature: HMAC-SHA256 under AUDIT_HMAC_KEY of its seq and hash (hex)."""
    message = f"porte-voix audit event\n{seq}\n{hash}"
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ExportedHead:
    """A head recorded out of the database, signed, as ``head_line`` writes it."""

    seq: int
    hash: str
    mac: str


_HEAD_RE = re.compile(r"audit head: seq=(\d+) hash=([0-9a-f]{64}) mac=([0-9a-f]{64})")


def head_line(*, seq: int, hash: str, mac: str, at: datetime) -> str:
    """One line naming a head: ``export_audit_head`` prints it, the beat logs it."""
    stamp = at.astimezone(UTC).isoformat(timespec="seconds")
    return f"porte-voix audit head: seq={seq} hash={hash} mac={mac} at={stamp}"


def parse_heads(lines: Iterable[str], *, key: str) -> list[ExportedHead]:
    """The heads found in a file or a log extract (other lines are skipped).

    A head whose signature does not hold under ``key`` is refused (ValueError, with its line
    number): it was typed or altered by someone without the key, or the key changed.
    """
    heads = []
    for number, line in enumerate(lines, start=1):
        found = _HEAD_RE.search(line)
        if found is None:
            continue
        head = ExportedHead(int(found[1]), found[2], found[3])
        if not hmac.compare_digest(head.mac, event_mac(key, seq=head.seq, hash=head.hash)):
            raise ValueError(
                f"line {number}: the head at seq {head.seq} is not signed by AUDIT_HMAC_KEY "
                "(altered, or exported under another key)"
            )
        heads.append(head)
    return heads


@dataclass(frozen=True)
class SegmentStart:
    """Where a walk over a segment of the chain (not from its first event) begins.

    ``prev_hash`` is what the segment's first event says came before it: the walk checks
    every link from there on, not that link itself. ``signed`` says whether signing had
    begun before the segment (an event before it carries a signature), so that a signed
    first event is not taken for the start of a forged chain.
    """

    seq: int
    prev_hash: str
    signed: bool


class Problem(StrEnum):
    EDITED = "hash mismatch"
    UNLINKED = "prev_hash mismatch"
    SEQ_GAP = "seq gap"
    HEAD = "head mismatch"
    FORGED = "signature mismatch"
    UNSIGNED = "signature missing"
    EXPORTED = "exported head mismatch"


@dataclass(frozen=True)
class BrokenLink:
    """The first place where the chain does not hold, in words an operator can act on."""

    seq: int | None
    pk: Any
    verb: str
    problem: Problem
    detail: str

    def __str__(self) -> str:
        where = f"seq {self.seq}"
        if self.pk is not None:
            where += f" (pk {self.pk}, {self.verb})"
        return f"Audit chain broken at {where}: {self.problem}: {self.detail}"


def verify_chain(
    events: Iterable[ChainedEvent],
    *,
    head: tuple[int, str] | None = None,
    key: str | None = None,
    exported: Mapping[int, str] | None = None,
    start: SegmentStart | None = None,
) -> BrokenLink | None:
    """Walk the events in seq order; return the first broken link, or None if all hold.

    ``head`` is the (seq, hash) the chain head row recorded before the walk: the chain must
    reach it, which catches events deleted from the end. Events appended since may follow.
    ``key`` (AUDIT_HMAC_KEY) checks the signatures; without it only the links are checked.
    ``exported`` maps seqs to the hashes of heads exported out of the database: the chain must
    hold each of them, which catches a tail cut off together with the head row.
    ``start`` walks a segment (the records export) instead of the chain from its first event.
    """
    head_seq, head_hash = head or (0, GENESIS_HASH)
    exported = exported or {}
    expected_seq, prev_hash = (start.seq, start.prev_hash) if start else (1, GENESIS_HASH)
    signed_seen = last_signed = bool(start and start.signed)
    last: ChainedEvent | None = None
    for event in events:
        fault = _fault(event, expected_seq, prev_hash)
        if fault is None and key is not None:
            fault = _signature_fault(event, key, signed_seen=signed_seen)
        if fault is None and event.seq == head_seq and event.hash != head_hash:
            fault = Problem.HEAD, "the chain head records another hash for this event"
        if fault is None and exported.get(event.seq, event.hash) != event.hash:
            fault = Problem.EXPORTED, "a head exported earlier records another hash for it"
        if fault is not None:
            return BrokenLink(event.seq, event.pk, event.verb, *fault)
        expected_seq, prev_hash = event.seq + 1, event.hash
        signed_seen = last_signed = signed_seen or bool(event.mac)
        last = event
    if (cut := _cut_tail(head_seq, exported, end=expected_seq - 1)) is not None:
        return cut
    if key is not None and last is not None and not last_signed:
        return _stripped(last)
    return None


def _cut_tail(head_seq: int, exported: Mapping[int, str], *, end: int) -> BrokenLink | None:
    """Events deleted from the end: the chain ends before a head recorded or exported."""
    if head_seq > end:
        return BrokenLink(
            head_seq,
            None,
            "",
            Problem.HEAD,
            f"the chain head records seq {head_seq} but the chain ends at seq "
            f"{end}: events were deleted from the end",
        )
    if exported and max(exported) > end:
        return BrokenLink(
            max(exported),
            None,
            "",
            Problem.EXPORTED,
            f"a head was exported at seq {max(exported)} but the chain ends at seq "
            f"{end}: events were deleted from the end",
        )
    return None


def _stripped(last: ChainedEvent) -> BrokenLink:
    """A keyed walk found no signed event: the signatures were stripped."""
    return BrokenLink(
        last.seq,
        last.pk,
        last.verb,
        Problem.UNSIGNED,
        "no event of the chain is signed: the signatures were stripped (or the signed "
        "events removed) and the chain rewritten",
    )


def _fault(event: ChainedEvent, expected_seq: int, prev_hash: str) -> tuple[Problem, str] | None:
    if digest_of(event) != event.hash:
        return Problem.EDITED, "its fields no longer match its hash (row edited)"
    if event.prev_hash != prev_hash:
        return (
            Problem.UNLINKED,
            f"it does not follow the event before it (seq {expected_seq - 1}): "
            "an event was deleted or inserted, or the previous one rewritten",
        )
    if event.seq != expected_seq:
        return Problem.SEQ_GAP, f"expected seq {expected_seq}"
    return None


def _signature_fault(
    event: ChainedEvent, key: str, *, signed_seen: bool
) -> tuple[Problem, str] | None:
    if not event.mac:
        if signed_seen:
            return (
                Problem.UNSIGNED,
                "it follows signed events but carries no signature (inserted or rewritten "
                "by someone without AUDIT_HMAC_KEY)",
            )
        return None  # written before signing began; the first signed event vouches for it
    if not hmac.compare_digest(event.mac, event_mac(key, seq=event.seq, hash=event.hash)):
        return (
            Problem.FORGED,
            "its signature does not hold: this event or one before it was rewritten by "
            "someone without AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY changed)",
        )
    if not signed_seen and event.seq != 1 and event.verb != SIGNING_STARTED:
        return (
            Problem.UNSIGNED,
            "the events before it are not signed and signing did not start here: the signed "
            "events before it were stripped or removed and the chain rewritten",
        )
    return None

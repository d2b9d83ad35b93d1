"""The audit trail's hash chain: how an event is hashed and how a chain is checked.

Each event's hash is SHA-256 over a canonical JSON of its fields and the previous event's
hash, so changing, removing or slipping in a row breaks every link after it. What this proves
is that the rows agree with each other: someone able to rewrite the table *and* recompute
every later hash is caught only by comparing the head hash with one recorded elsewhere
(``verify_audit`` prints it; docs/operations.md says where to keep it).

Pure functions, no model imports: the migration that backfilled the chain uses them too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

GENESIS_HASH = "0" * 64


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


class Problem(StrEnum):
    EDITED = "hash mismatch"
    UNLINKED = "prev_hash mismatch"
    SEQ_GAP = "seq gap"
    HEAD = "head mismatch"


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
    events: Iterable[ChainedEvent], *, head: tuple[int, str] | None = None
) -> BrokenLink | None:
    """Walk the events in seq order; return the first broken link, or None if all hold.

    ``head`` is the (seq, hash) the chain head row recorded before the walk: the chain must
    reach it, which catches events deleted from the end. Events appended since may follow.
    """
    head_seq, head_hash = head or (0, GENESIS_HASH)
    expected_seq, prev_hash = 1, GENESIS_HASH
    for event in events:
        fault = _fault(event, expected_seq, prev_hash)
        if fault is None and event.seq == head_seq and event.hash != head_hash:
            fault = Problem.HEAD, "the chain head records another hash for this event"
        if fault is not None:
            return BrokenLink(event.seq, event.pk, event.verb, *fault)
        expected_seq, prev_hash = event.seq + 1, event.hash
    if head_seq >= expected_seq:
        return BrokenLink(
            head_seq,
            None,
            "",
            Problem.HEAD,
            f"the chain head records seq {head_seq} but the chain ends at seq "
            f"{expected_seq - 1}: events were deleted from the end",
        )
    return None


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

"""The audit chain segment of a records export, written to audit.json and verified.

The segment runs from the first to the last event of the exported posts, every event in
between included: the chain links each event to the one before it, whatever its post, so a
segment with holes could not be checked. The events of other posts (or of no post) are given
by their chain fields only (seq, prev_hash, hash, mac): they show the links hold without
telling another account's business. The verification is the chain's own
(``editorial.audit.verify_chain``, as ``manage.py verify_audit`` runs it) over the full rows,
from the first event's ``prev_hash`` to the last, signatures checked under AUDIT_HMAC_KEY.

A segment entirely before signing began is extended to the first signed event after it,
which vouches for it (see ``editorial.audit``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db.models import Max, Min

from editorial.audit import SegmentStart, verify_chain
from editorial.models import AuditEvent


@dataclass
class Segment:
    """The seqs the exported posts' events span; widened batch by batch."""

    first: int | None = None
    last: int | None = None
    post_ids: set[int] = field(default_factory=set)

    def add(self, ids: list[int]) -> None:
        self.post_ids.update(ids)
        span = AuditEvent.objects.filter(post_id__in=ids).aggregate(lo=Min("seq"), hi=Max("seq"))
        if span["lo"] is not None:
            self.first = min(self.first or span["lo"], span["lo"])
            self.last = max(self.last or span["hi"], span["hi"])


@dataclass(frozen=True)
class SegmentResult:
    first: int | None
    last: int | None
    events: int
    intact: bool
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "first_seq": self.first,
            "last_seq": self.last,
            "events": self.events,
            "intact": self.intact,
            "problem": self.problem,
        }


def _last_seq(segment: Segment) -> int:
    assert segment.last is not None
    last = segment.last
    if not AuditEvent.objects.filter(seq=last).exclude(mac="").exists():
        signed = AuditEvent.objects.filter(seq__gt=last).exclude(mac="").order_by("seq")
        last = signed.values_list("seq", flat=True).first() or last
    return last


def _start(first: int) -> SegmentStart | None:
    event = AuditEvent.objects.filter(seq=first).only("seq", "prev_hash").first()
    if event is None:
        return None
    signed_before = AuditEvent.objects.filter(seq__lt=first).exclude(mac="").exists()
    return SegmentStart(seq=first, prev_hash=event.prev_hash, signed=signed_before)


def _entry(event: AuditEvent, post_ids: set[int]) -> dict[str, Any]:
    chain = {"seq": event.seq, "prev_hash": event.prev_hash, "hash": event.hash, "mac": event.mac}
    if event.post_id not in post_ids:
        return {**chain, "exported": False}
    return {
        **chain,
        "exported": True,
        "post_id": event.post_id,
        "actor_id": event.actor_id,
        "on_behalf_of_id": event.on_behalf_of_id,
        "verb": event.verb,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }


def write_segment(out: IO[str], segment: Segment) -> SegmentResult:
    """Write audit.json, one event per line, verifying the segment in the same single pass."""
    if segment.first is None:
        result = SegmentResult(None, None, 0, True, "")
        json.dump({"events": [], "verification": result.as_dict()}, out, indent=1)
        return result
    last, start = _last_seq(segment), _start(segment.first)
    count = 0
    out.write('{"events": [\n')

    def walk() -> Iterator[AuditEvent]:
        nonlocal count
        events = AuditEvent.objects.filter(seq__gte=segment.first, seq__lte=last)
        for event in events.order_by("seq").iterator(chunk_size=2000):
            out.write((",\n" if count else "") + json.dumps(_entry(event, segment.post_ids)))
            count += 1
            yield event

    events = walk()
    broken = verify_chain(events, key=settings.AUDIT_HMAC_KEY, start=start)
    for _rest in events:  # the walk stops at a broken link; the bundle still holds them all
        pass
    result = SegmentResult(segment.first, last, count, broken is None, str(broken or ""))
    out.write("\n],\n")
    out.write(f'"verification": {json.dumps(result.as_dict(), ensure_ascii=False)}\n}}\n')
    return result

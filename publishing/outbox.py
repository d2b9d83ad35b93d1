"""The publication outbox's state machine: the table of allowed moves and the only writer of
``Publication.state`` and ``Publication.deletion_state``.

Every move is one conditional update (``UPDATE … WHERE state = <source>``), as healthchecks'
``sendalerts`` claims its work: if no row changed, someone else moved it first, and the
caller learns it from the count. A move that is not in the table raises ``MoveRefused``
before anything is written: a bug, never a network answer.

A move out of a claim (``sending`` or ``deleting``) names the claim it ends (``claim=``, the
``claimed_at`` the worker wrote when it claimed): a worker whose claim the sweeper took back,
perhaps handed to another worker since, changes nothing, on success as on failure.

Rows are born ``pending`` (or ``waiting``, a later part of a thread) by the scheduler's insert;
after that only this module changes their state.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from publishing.models import DeletionState, Publication, PublicationState

P = PublicationState
D = DeletionState

State = PublicationState | DeletionState

# (source, target) → who makes the move and why. Read it as the outbox's whole life.
MOVES: dict[tuple[PublicationState, PublicationState], str] = {
    (P.WAITING, P.PENDING): "attempts.release_next_part: the part before it is published",
    (P.WAITING, P.FAILED): "attempts: the part before it failed for good",
    (P.PENDING, P.QUEUED): "scheduler: handed to the broker",
    (P.PENDING, P.HELD): "late.hold: later than the account's limit",
    (P.QUEUED, P.SENDING): "sending: claimed by a worker",
    (P.QUEUED, P.PENDING): "sweeper: the broker message was lost",
    (P.SENDING, P.PUBLISHED): "attempts: the server has it",
    (P.SENDING, P.PENDING): "attempts, sending, sweeper: retry, unsent, or worker lost",
    (P.SENDING, P.FAILED): "attempts: permanent error or PUBLISH_MAX_ATTEMPTS",
    (P.HELD, P.PENDING): "late: a publisher confirmed it",
    (P.HELD, P.FAILED): "late: a publisher cancelled it",
    (P.FAILED, P.PENDING): "scheduler: a human retried the post",
    (P.FAILED, P.WAITING): "scheduler: retried, the part before it is not published",
}

# The same for a retraction's progress (``deletion_state``). Its values overlap the send's
# ("pending", "failed"): the two tables are kept apart so that one never allows the other's.
DELETION_MOVES: dict[tuple[DeletionState, DeletionState], str] = {
    (D.NONE, D.PENDING): "retraction: the post was retracted",
    (D.PENDING, D.DELETING): "retraction: claimed for a deletion",
    (D.DELETING, D.DELETED): "retraction: the server no longer has it",
    (D.DELETING, D.PENDING): "retraction, sweeper: retry, or worker lost",
    (D.DELETING, D.FAILED): "retraction: permanent error or PUBLISH_MAX_ATTEMPTS",
}


class MoveRefused(Exception):
    """A move the table does not allow: the code asked for it, so the code is wrong."""


def _column(target: State) -> tuple[str, str, dict[Any, str]]:
    """The state column, its claim column and its table, by the kind of state."""
    if isinstance(target, PublicationState):
        return "state", "claimed_at", MOVES
    return "deletion_state", "deletion_claimed_at", DELETION_MOVES


def _sources(
    source: State | Collection[State], target: State, table: dict[Any, str]
) -> list[State]:
    sources = [source] if isinstance(source, str) else list(source)
    for each in sources:
        if type(each) is not type(target) or (each, target) not in table:
            raise MoveRefused(f"A publication does not move from {each!r} to {target!r}.")
    return sources


def move_all(
    rows: QuerySet[Publication],
    *,
    source: State | Collection[State],
    target: State,
    claim: datetime | None = None,
    **fields: Any,
) -> int:
    """Move those of ``rows`` that are in ``source`` (and, with ``claim``, still hold that
    claim) to ``target``, writing ``fields`` with it; returns how many moved."""
    column, claim_column, table = _column(target)
    sources = _sources(source, target, table)
    if "state" in fields or "deletion_state" in fields:
        raise MoveRefused("The state is the move's target, not one of its fields.")
    # One filter() call: each call clones the queryset, and this runs once per sent post.
    where: dict[str, Any] = (
        {column: sources[0]} if len(sources) == 1 else {f"{column}__in": sources}
    )
    if claim is not None:
        where[claim_column] = claim
    return rows.filter(**where).update(**{column: target}, **fields)


def move(
    pk: UUID | str,
    *,
    source: State | Collection[State],
    target: State,
    claim: datetime | None = None,
    **fields: Any,
) -> bool:
    """Move one publication (see ``move_all``); False when it was not in ``source`` (or no
    longer held ``claim``): someone else moved it first."""
    rows = Publication.objects.filter(pk=pk)
    return bool(move_all(rows, source=source, target=target, claim=claim, **fields))

"""Answers that stay true for one read of many posts, remembered for its duration.

The review queue resolves the approval chain of every post it shows; most of them are on the
same few accounts, whose policy and reviewers it would otherwise read again for each post
(issue #15: a queue of a dozen posts cost a hundred queries). Inside ``memoised()`` (a read:
nothing is written meanwhile) ``remembered`` computes each answer once; outside it, every
call computes afresh, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("porte_voix_policy_memo", default=None)


@contextmanager
def memoised() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    value: T = memo[key]
    return value

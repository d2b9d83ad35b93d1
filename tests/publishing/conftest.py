"""A fake network and a recording broker for the outbox and scheduler tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from editorial import services as editorial
from editorial.models import Post
from publishing import tasks
from publishing.adapters.base import (
    Credentials,
    OutgoingPost,
    PreparedPayload,
    PublishedRef,
    PublishError,
)
from publishing.services import network
from tests.conftest import Org


@dataclass
class FakeAdapter:
    network: str = "fake"
    errors: list[PublishError] = field(default_factory=list)
    prepared: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    sent_at: list[datetime] = field(default_factory=list)
    # The server side: posts it holds, by payload key; lookups asked of it.
    remote: dict[str, PublishedRef] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    lookup_errors: list[PublishError] = field(default_factory=list)
    # How many sends are accepted by the server but whose answer is lost on the way back.
    lost_answers: int = 0
    deleted: list[str] = field(default_factory=list)
    # The reply reference each send carried (None for a thread's first part).
    replies: list[Any] = field(default_factory=list)
    delete_errors: list[PublishError] = field(default_factory=list)

    def prepare(
        self, credentials: Credentials, post: OutgoingPost, *, idempotency_key: str
    ) -> PreparedPayload:
        self.prepared.append(idempotency_key)
        return PreparedPayload(
            data={"key": idempotency_key, "text": post.text, "n": len(self.prepared)}
        )

    def publish(
        self, credentials: Credentials, payload: PreparedPayload, post: OutgoingPost
    ) -> PublishedRef:
        self.sent.append(payload.data)
        self.sent_at.append(timezone.now())
        self.replies.append(post.reply)
        if self.errors:
            raise self.errors.pop(0)
        key = payload.data["key"]
        ref = self.remote.setdefault(
            key, PublishedRef(remote_id=f"id-{key}", url=f"https://example.test/{key}")
        )
        if self.lost_answers:
            self.lost_answers -= 1
            raise PublishError("read timeout", permanent=False, maybe_sent=True)
        return ref

    def lookup(self, credentials: Credentials, payload: PreparedPayload) -> PublishedRef | None:
        self.lookups.append(payload.data["key"])
        if self.lookup_errors:
            raise self.lookup_errors.pop(0)
        return self.remote.get(payload.data["key"])

    def delete(self, credentials: Credentials, remote_id: str) -> None:
        if self.delete_errors:
            raise self.delete_errors.pop(0)
        self.deleted.append(remote_id)
        for key, ref in list(self.remote.items()):
            if ref.remote_id == remote_id:
                del self.remote[key]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeAdapter:
    adapter = FakeAdapter()
    monkeypatch.setattr(network, "get_adapter", lambda network, **kw: adapter)
    return adapter


@dataclass
class Enqueued:
    publication_id: str
    eta: datetime | None
    queue: str = ""


@dataclass
class RecordingTask:
    """Stands for ``tasks.publish``: records what would reach the broker, and when to run."""

    calls: list[Enqueued] = field(default_factory=list)
    batches: list[list[str]] = field(default_factory=list)

    def delay(self, publication_id: str) -> None:
        self.calls.append(Enqueued(publication_id, None))

    def apply_async(
        self, args: tuple[str | list[str]], *, eta: datetime | None = None, queue: str = ""
    ) -> None:
        # As the real tasks (config.tasks.TransactionAwareTask): on commit, never before.
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(partial(self._record, args, eta, queue))
        else:
            self._record(args, eta, queue)

    def _record(self, args: tuple[str | list[str]], eta: datetime | None, queue: str) -> None:
        # publish_batch carries a list of ids: one call recorded per publication.
        ids = args[0] if isinstance(args[0], list) else [args[0]]
        self.batches.append(list(ids))
        self.calls.extend(Enqueued(pk, eta, queue) for pk in ids)


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> RecordingTask:
    task = RecordingTask()
    monkeypatch.setattr(tasks, "publish", task)
    monkeypatch.setattr(tasks, "publish_batch", task)
    return task


def scheduled(org: Org, *, at: datetime | None = None, accounts: Any = None) -> Post:
    """A post taken through the editorial services up to ``scheduled``."""
    post = editorial.post_create(
        by=org.officer,
        accounts=accounts if accounts is not None else [org.mastodon, org.bluesky],
        text="Ouverture du guichet unique lundi.",
    )
    editorial.post_submit(post=post, by=org.officer)
    editorial.post_approve(post=post, by=org.manager)
    editorial.post_schedule(post=post, by=org.manager, at=at)
    post.refresh_from_db()
    return post

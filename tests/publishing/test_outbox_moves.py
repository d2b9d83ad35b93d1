"""The outbox's table of moves (publishing/outbox.py): the only writer of a publication's
state, claims checked on success as on failure, deletion attempts in the attempt log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from editorial import services as editorial
from editorial.models import PostState
from publishing import outbox, services
from publishing.adapters.base import Credentials, PreparedPayload, PublishedRef, PublishError
from publishing.models import Attempt, DeletionState, Publication, PublicationState
from publishing.services.retraction import DELETION_ATTEMPT
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

P = PublicationState
D = DeletionState


@pytest.fixture(autouse=True)
def _clock(frozen_now: datetime) -> None:
    """Every "now" here is one frozen moment: no comparison races a busy machine."""


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (P.PUBLISHED, P.PENDING),  # a published post is never sent again
        (P.PENDING, P.SENDING),  # a claim takes only what the tick queued
        (P.WAITING, P.QUEUED),  # a later part waits for the part before it
        (D.DELETED, D.PENDING),  # a deletion done is done
        (D.FAILED, D.PENDING),  # the send's failed → pending is not the deletion's
        (P.PENDING, D.DELETING),  # the two columns never mix
    ],
)
def test_outbox_move_not_in_the_table_is_refused(source: Any, target: Any) -> None:
    with pytest.raises(outbox.MoveRefused):
        outbox.move("00000000-0000-0000-0000-000000000000", source=source, target=target)


def test_outbox_move_refuses_the_state_as_a_field() -> None:
    with pytest.raises(outbox.MoveRefused):
        outbox.move_all(
            Publication.objects.none(), source=P.HELD, target=P.PENDING, state=P.PUBLISHED
        )


def test_outbox_move_is_conditional_on_its_source(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    scheduled(org, accounts=[org.mastodon])
    with django_capture_on_commit_callbacks(execute=False):
        (pk,) = services.tick().queued
    assert outbox.move(pk, source=P.HELD, target=P.PENDING) is False  # it is queued
    assert Publication.objects.get(pk=pk).state == P.QUEUED


def test_late_success_of_a_reclaimed_attempt_leaves_the_new_claim_alone(
    org: Org,
    fake: FakeAdapter,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A worker hung mid-send past the stale limit; the sweeper took the publication back and
    another worker claimed it. The first worker's late success must not record the post as
    published over the second claim (the second looks it up and records it itself)."""
    post = scheduled(org, accounts=[org.mastodon])
    with django_capture_on_commit_callbacks(execute=False):
        (pk,) = services.tick().queued
    newer_claim = timezone.now() + timedelta(minutes=6)
    publish = fake.publish

    def hung_then_sent(
        credentials: Credentials, payload: PreparedPayload, *args: Any
    ) -> PublishedRef:
        Publication.objects.filter(pk=pk).update(
            state=P.SENDING, claimed_at=newer_claim, attempts=2
        )
        return publish(credentials, payload, *args)

    monkeypatch.setattr(fake, "publish", hung_then_sent)
    assert services.publication_send(publication_id=pk) == P.SENDING
    pub = Publication.objects.get(pk=pk)
    assert (pub.state, pub.claimed_at, pub.remote_id) == (P.SENDING, newer_claim, "")
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHING
    # The send happened: its attempt is on record all the same.
    assert list(Attempt.objects.filter(publication_id=pk).values_list("outcome", flat=True)) == [
        "published"
    ]


def _published(org: Org, capture: Callable[..., Any]) -> Any:
    post = scheduled(org, accounts=[org.mastodon])
    with capture(execute=False):
        (pk,) = services.tick().queued
    services.publication_send(publication_id=pk)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    return post, pk


def test_failed_deletion_attempt_joins_the_attempt_log(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post, pk = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason="Erreur de date dans l'annonce.")
    fake.delete_errors = [PublishError("503 Service Unavailable", permanent=False)]
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()
    assert services.publication_delete(publication_id=pk) == D.PENDING
    log = list(Attempt.objects.filter(publication_id=pk).values_list("number", "outcome", "error"))
    assert log == [
        (1, Attempt.Outcome.PUBLISHED, ""),
        (2, Attempt.Outcome.TRANSIENT, f"{DELETION_ATTEMPT}503 Service Unavailable"),
    ]


def test_late_deletion_result_leaves_the_new_deletion_claim_alone(
    org: Org, fake: FakeAdapter, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    post, pk = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason="Erreur de date dans l'annonce.")
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()
    newer_claim = timezone.now() + timedelta(minutes=6)
    delete = fake.delete

    def hung_then_deleted(credentials: Credentials, remote_id: str) -> None:
        Publication.objects.filter(pk=pk).update(deletion_claimed_at=newer_claim)
        delete(credentials, remote_id)

    monkeypatch.setattr(fake, "delete", hung_then_deleted)
    services.publication_delete(publication_id=pk)
    pub = Publication.objects.get(pk=pk)
    assert (pub.deletion_state, pub.deletion_claimed_at, pub.deleted_at) == (
        D.DELETING,
        newer_claim,
        None,
    )

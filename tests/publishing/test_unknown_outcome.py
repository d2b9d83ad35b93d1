"""Unknown outcomes (the request may have reached the server) are looked up before any
new send, so a lost answer never turns into a second post."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from editorial import services as editorial
from editorial.models import PostState
from publishing import services
from publishing.adapters.base import PublishedRef, PublishError
from publishing.models import Attempt, Publication, PublicationState
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

P = PublicationState


def _queued_one(org: Org, capture: Any) -> Any:
    scheduled(org, accounts=[org.mastodon])
    with capture(execute=False):
        (pk,) = services.tick().queued
    return pk


def _requeue(pk: Any, capture: Any) -> None:
    """The backoff has passed: the next tick hands the publication out again."""
    Publication.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    with capture(execute=False):
        assert services.tick().queued == [pk]


def _outcomes(pk: Any) -> list[str]:
    return list(Attempt.objects.filter(publication_id=pk).values_list("outcome", flat=True))


def test_publish_error_maybe_sent_never_permanent() -> None:
    assert PublishError("refused", permanent=True, maybe_sent=True).maybe_sent is False
    error = PublishError("slow", permanent=False, retry_after=3).outcome_unknown()
    assert (error.maybe_sent, error.permanent, error.retry_after) == (True, False, 3)


def test_send_lost_answer_records_unknown_outcome(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _queued_one(org, django_capture_on_commit_callbacks)
    fake.lost_answers = 1
    assert services.publication_send(publication_id=pk) == P.PENDING
    assert _outcomes(pk) == ["unknown"]


def test_retry_after_unknown_outcome_finds_post_without_sending_again(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _queued_one(org, django_capture_on_commit_callbacks)
    fake.lost_answers = 1
    services.publication_send(publication_id=pk)
    _requeue(pk, django_capture_on_commit_callbacks)
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    assert len(fake.sent) == 1
    assert fake.lookups == [str(pk)]
    pub = Publication.objects.get(pk=pk)
    assert pub.remote_url == f"https://example.test/{pk}"
    last = Attempt.objects.filter(publication_id=pk).last()
    assert last is not None and last.found_by_lookup and last.outcome == "published"


def test_retry_after_unknown_outcome_sends_when_lookup_finds_nothing(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _queued_one(org, django_capture_on_commit_callbacks)
    # Timed out before the server wrote anything: unknown to us, absent on the server.
    fake.errors.append(PublishError("read timeout", permanent=False, maybe_sent=True))
    services.publication_send(publication_id=pk)
    _requeue(pk, django_capture_on_commit_callbacks)
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    assert fake.lookups == [str(pk)]
    assert len(fake.sent) == 2 and fake.sent[0] == fake.sent[1]
    assert len(fake.remote) == 1
    assert _outcomes(pk) == ["unknown", "published"]


def test_no_lookup_after_a_verdict(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _queued_one(org, django_capture_on_commit_callbacks)
    fake.errors.append(PublishError("503 try later", permanent=False))
    services.publication_send(publication_id=pk)
    _requeue(pk, django_capture_on_commit_callbacks)
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    assert fake.lookups == []
    assert _outcomes(pk) == ["transient", "published"]


def test_failed_lookup_sends_nothing_and_is_asked_again(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _queued_one(org, django_capture_on_commit_callbacks)
    fake.lost_answers = 1
    services.publication_send(publication_id=pk)
    fake.lookup_errors.append(PublishError("server unreachable", permanent=False))
    _requeue(pk, django_capture_on_commit_callbacks)
    assert services.publication_send(publication_id=pk) == P.PENDING
    assert len(fake.sent) == 1
    _requeue(pk, django_capture_on_commit_callbacks)
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    assert len(fake.sent) == 1 and fake.lookups == [str(pk), str(pk)]
    assert _outcomes(pk) == ["unknown", "transient", "published"]


def test_unexpected_error_counts_as_unknown_outcome(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _queued_one(org, django_capture_on_commit_callbacks)
    fake.errors.append(RuntimeError("bug after the request left"))  # type: ignore[arg-type]
    services.publication_send(publication_id=pk)
    assert _outcomes(pk) == ["unknown"]


def test_dead_worker_reclaim_records_unknown_and_next_attempt_looks_up(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _queued_one(org, django_capture_on_commit_callbacks)
    # A worker claimed it, the server accepted the post, and the worker died.
    fake.remote[str(pk)] = PublishedRef(remote_id=f"id-{pk}", url=f"https://example.test/{pk}")
    Publication.objects.filter(pk=pk).update(
        state=P.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert services.tick().queued == [pk]
    assert _outcomes(pk) == ["unknown"]
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    assert fake.sent == [] and fake.lookups == [str(pk)]


def test_human_retry_after_unknown_failure_looks_up_first(
    org: Org, fake: FakeAdapter, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PUBLISH_MAX_ATTEMPTS = 1
    pk = _queued_one(org, django_capture_on_commit_callbacks)
    fake.lost_answers = 1
    assert services.publication_send(publication_id=pk) == P.FAILED
    post = Publication.objects.get(pk=pk).post
    assert post.state == PostState.FAILED
    editorial.post_retry(post=post, by=org.manager)
    with django_capture_on_commit_callbacks(execute=False):
        assert services.tick().queued == [pk]
    assert services.publication_send(publication_id=pk) == P.PUBLISHED
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert len(fake.sent) == 1 and fake.lookups == [str(pk)]

"""Retraction: a published post is deleted from every network it reached, exactly as asked,
whatever the network or the workers do in between."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from editorial import services as editorial
from editorial.models import Notification, PostState
from publishing import services
from publishing.adapters.base import PublishError
from publishing.models import DeletionState, Publication
from publishing.services import sweeper
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

D = DeletionState
REASON = "Erreur de date dans l'annonce."


@pytest.fixture(autouse=True)
def _clock(frozen_now: datetime) -> None:
    """One frozen moment, moved only by the travels below: a slow tick on a busy machine
    cannot eat into the pace or the backoff being checked."""


def _published(org: Org, capture: Callable[..., Any]) -> Any:
    post = scheduled(org)
    with capture(execute=False):
        result = services.tick()
    for pk in result.queued:
        services.publication_send(publication_id=pk)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    return post


def _claimed() -> list[str]:
    return [
        str(pk)
        for pk in Publication.objects.filter(deletion_state=D.DELETING).values_list("pk", flat=True)
    ]


def _tick_and_delete(capture: Callable[..., Any]) -> None:
    with capture(execute=False):
        services.tick()
    for pk in _claimed():
        services.publication_delete(publication_id=pk)


def test_retract_deletes_every_publication_and_reports_to_the_post(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason=REASON)

    _tick_and_delete(django_capture_on_commit_callbacks)

    assert sorted(fake.deleted) == sorted(Publication.objects.values_list("remote_id", flat=True))
    assert set(Publication.objects.values_list("deletion_state", flat=True)) == {D.DELETED}
    post.refresh_from_db()
    assert post.state == PostState.RETRACTED
    assert {link["deletion"] for link in post.remote_links} == {"deleted"}
    verbs = list(post.events.values_list("verb", flat=True))
    assert verbs[-3:] == ["retracted", "deleted_remotely", "deleted_remotely"]


def test_retract_queues_on_commit_one_task_per_publication(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason=REASON)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.tick()

    assert len(callbacks) == 2
    assert len(_claimed()) == 2


def test_published_posts_that_are_not_retracted_are_never_deleted(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    _published(org, django_capture_on_commit_callbacks)
    _tick_and_delete(django_capture_on_commit_callbacks)
    assert fake.deleted == []
    assert set(Publication.objects.values_list("deletion_state", flat=True)) == {D.NONE}


def test_delete_called_twice_deletes_once(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason=REASON)
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()
    pk = _claimed()[0]

    assert services.publication_delete(publication_id=pk) == D.DELETED
    assert services.publication_delete(publication_id=pk) == "not-claimed"  # redelivered

    assert len(fake.deleted) == 1


def test_transient_deletion_error_is_retried_after_backoff(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason=REASON)
    fake.delete_errors = [PublishError("503 Service Unavailable", permanent=False)]
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()
    first, second = _claimed()

    assert services.publication_delete(publication_id=first) == D.PENDING
    services.publication_delete(publication_id=second)
    waiting = Publication.objects.get(pk=first)
    assert waiting.deletion_error == "503 Service Unavailable"
    assert waiting.deletion_next_at is not None and waiting.deletion_next_at > timezone.now()

    with time_machine.travel(waiting.deletion_next_at + timedelta(seconds=1), tick=False):
        _tick_and_delete(django_capture_on_commit_callbacks)

    assert Publication.objects.get(pk=first).deletion_state == D.DELETED
    assert len(fake.deleted) == 2


def test_permanent_deletion_error_fails_and_alerts_with_words(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason=REASON)
    fake.delete_errors = [PublishError("401 The access token is invalid", permanent=True)]
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()
    first = _claimed()[0]

    assert services.publication_delete(publication_id=first) == D.FAILED

    post.refresh_from_db()
    failed = [link for link in post.remote_links if link.get("deletion") == "failed"]
    assert [link["deletion_error"] for link in failed] == ["401 The access token is invalid"]
    alert = Notification.objects.filter(post=post, kind=Notification.Kind.FAILED).latest("pk")
    assert alert.message == "401 The access token is invalid"
    assert post.events.filter(verb="remote_deletion_failed").count() == 1


def test_deletion_claim_left_by_a_dead_worker_is_reclaimed(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason=REASON)
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()  # claimed, then the worker dies: nobody calls publication_delete

    later = timezone.now() + sweeper.deletion_stale() + timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        _tick_and_delete(django_capture_on_commit_callbacks)

    assert set(Publication.objects.values_list("deletion_state", flat=True)) == {D.DELETED}


def test_deletion_stale_delay_is_the_setting(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PUBLISH_DELETION_STALE_SECONDS = 40
    claimed_at = timezone.now()
    with time_machine.travel(claimed_at, tick=False):
        post = _published(org, django_capture_on_commit_callbacks)
        editorial.post_retract(post=post, by=org.manager, reason=REASON)
        with django_capture_on_commit_callbacks(execute=False):
            services.tick()  # claimed; the worker dies before deleting

    not_yet = sweeper.reclaim_deletions(now=claimed_at + timedelta(seconds=39))
    reclaimed = sweeper.reclaim_deletions(now=claimed_at + timedelta(seconds=41))

    assert (not_yet, reclaimed) == (0, Publication.objects.count())
    assert set(Publication.objects.values_list("deletion_state", flat=True)) == {D.PENDING}


def test_deletion_gives_up_after_max_attempts(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PUBLISH_MAX_ATTEMPTS = 1
    post = _published(org, django_capture_on_commit_callbacks)
    editorial.post_retract(post=post, by=org.manager, reason=REASON)
    fake.delete_errors = [PublishError("timeout", permanent=False)] * 2
    _tick_and_delete(django_capture_on_commit_callbacks)

    assert set(Publication.objects.values_list("deletion_state", flat=True)) == {D.FAILED}

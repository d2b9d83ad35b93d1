"""Every task reaches the broker only once its transaction commits (config/tasks.py), checked
on the real Redis broker that the test runner starts (`make test`): the publishing tasks, the
notification e-mails and the link checks; and a broker that refuses never fails a request."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.db import transaction
from django.test import Client
from django.urls import reverse

from charter import tasks as charter_tasks
from editorial import services
from editorial import tasks as editorial_tasks
from editorial.models import Notification, Post
from publishing import tasks as publishing_tasks
from tests.conftest import Org

# One of each kind: a publishing task (its errors raised), and the two best-effort ones.
TASKS: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "publishing": (publishing_tasks.delete_remote, (str(uuid.uuid4()),)),
    "editorial": (editorial_tasks.send_notification_emails, ([1],)),
    "charter": (charter_tasks.check_links, (["https://exemple.gouv.fr/"],)),
}
LINK_TEXT = "Inscriptions sur https://exemple.gouv.fr/inscriptions avant lundi."


@pytest.fixture
def broker(transactional_db: None) -> redis.Redis:
    """The real broker; no test transaction, so a commit is a real one."""
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL is not set: run the integration tests through `make test`.")
    return redis.Redis.from_url(os.environ["REDIS_URL"])


@pytest.fixture
def queue(broker: redis.Redis) -> Iterator[tuple[redis.Redis, str]]:
    """A queue of its own on the broker, so that its length counts this test's messages."""
    name = f"test-on-commit-{uuid.uuid4().hex}"
    yield broker, name
    broker.delete(name)


class RolledBack(Exception):
    pass


def _task_names(client: redis.Redis, queue: str, before: int) -> list[str]:
    """The tasks of the messages queued since the queue had ``before`` (taken off it)."""
    names = []
    for _ in range(client.llen(queue) - before):
        raw = client.lpop(queue)  # kombu pushes on the left, workers pop on the right
        assert isinstance(raw, bytes)
        names.append(json.loads(raw)["headers"]["task"])
    return names


@pytest.mark.parametrize("kind", TASKS)
def test_task_sent_in_a_rolled_back_transaction_is_never_sent(
    queue: tuple[redis.Redis, str], kind: str
) -> None:
    client, name = queue
    task, args = TASKS[kind]
    with pytest.raises(RolledBack), transaction.atomic():
        task.apply_async(args, queue=name)
        raise RolledBack
    assert client.llen(name) == 0


@pytest.mark.parametrize("kind", TASKS)
def test_task_sent_in_a_transaction_reaches_the_broker_after_the_commit(
    queue: tuple[redis.Redis, str], kind: str
) -> None:
    client, name = queue
    task, args = TASKS[kind]
    with transaction.atomic():
        task.apply_async(args, queue=name)
        assert client.llen(name) == 0  # not before the commit
    assert client.llen(name) == 1


@pytest.mark.parametrize("kind", TASKS)
def test_task_sent_outside_a_transaction_goes_at_once(
    queue: tuple[redis.Redis, str], kind: str
) -> None:
    client, name = queue
    task, args = TASKS[kind]
    task.apply_async(args, queue=name)
    assert client.llen(name) == 1


def test_task_notification_e_mails_of_a_rolled_back_change_are_never_queued(
    broker: redis.Redis, org: Org
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet lundi.")
    before = broker.llen("email")
    with pytest.raises(RolledBack), transaction.atomic():
        services.post_submit(post=post, by=org.officer)
        raise RolledBack
    assert broker.llen("email") == before
    assert not Notification.objects.exists()


def test_task_a_committed_request_queues_its_e_mails_once_committed(
    broker: redis.Redis, org: Org
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Guichet lundi.")
    before = broker.llen("email")
    client = Client()
    client.force_login(org.officer)
    assert client.post(reverse("editorial:submit", args=[post.pk])).status_code == 302
    assert _task_names(broker, "email", before) == ["editorial.tasks.send_notification_emails"]


def test_task_link_check_of_a_rolled_back_draft_is_never_queued(
    broker: redis.Redis, org: Org
) -> None:
    before = broker.llen("celery")
    with pytest.raises(RolledBack), transaction.atomic():
        services.post_create(by=org.officer, accounts=[org.mastodon], text=LINK_TEXT)
        raise RolledBack
    assert broker.llen("celery") == before


def test_task_link_check_of_a_saved_draft_is_queued_once_committed(
    broker: redis.Redis, org: Org
) -> None:
    before = broker.llen("celery")
    services.post_create(by=org.officer, accounts=[org.mastodon], text=LINK_TEXT)
    assert _task_names(broker, "celery", before) == ["charter.tasks.check_links"]


def test_task_broker_refusing_a_request_still_succeeds_and_the_e_mail_waits_for_the_sweep(
    broker: redis.Redis, org: Org, broker_down: None, caplog: Any
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=LINK_TEXT)
    assert Post.objects.filter(pk=post.pk).exists()  # the draft stands, its check not queued
    assert "charter.tasks.check_links not queued" in caplog.text
    client = Client()
    client.force_login(org.officer)
    assert client.post(reverse("editorial:submit", args=[post.pk])).status_code == 302
    post.refresh_from_db()
    assert post.state == "in_review"
    note = Notification.objects.get(recipient=org.manager, kind=Notification.Kind.SUBMITTED)
    assert note.email_status == Notification.EmailStatus.PENDING  # for the sweep
    assert "editorial.tasks.send_notification_emails not queued" in caplog.text

"""The publishing tasks reach the broker only once their transaction commits
(config/tasks.py), checked on the real Redis broker that the test runner starts (`make test`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.db import transaction

from publishing import tasks


@pytest.fixture
def queue(transactional_db: None) -> Iterator[tuple[redis.Redis, str]]:
    """A queue of its own on the broker, so that its length counts this test's messages."""
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL is not set: run the integration tests through `make test`.")
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    name = f"test-on-commit-{uuid.uuid4().hex}"
    yield client, name
    client.delete(name)


class RolledBack(Exception):
    pass


def test_task_sent_in_a_rolled_back_transaction_is_never_sent(
    queue: tuple[redis.Redis, str],
) -> None:
    client, name = queue
    with pytest.raises(RolledBack), transaction.atomic():
        tasks.delete_remote.apply_async((str(uuid.uuid4()),), queue=name)
        raise RolledBack
    assert client.llen(name) == 0


def test_task_sent_in_a_transaction_reaches_the_broker_after_the_commit(
    queue: tuple[redis.Redis, str],
) -> None:
    client, name = queue
    with transaction.atomic():
        tasks.delete_remote.apply_async((str(uuid.uuid4()),), queue=name)
        assert client.llen(name) == 0  # not before the commit
    assert client.llen(name) == 1


def test_task_sent_outside_a_transaction_goes_at_once(queue: tuple[redis.Redis, str]) -> None:
    client, name = queue
    tasks.delete_remote.apply_async((str(uuid.uuid4()),), queue=name)
    assert client.llen(name) == 1

"""``manage.py tick``: one tick, or with --dry-run what the next one would do, changing
nothing (as Wagtail's ``publish_scheduled --dryrun``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from editorial.models import AuditEvent, Notification, Post, PostState
from publishing import services
from publishing.models import Attempt, Publication, PublicationState
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, scheduled

P = PublicationState


@pytest.fixture(autouse=True)
def _clock(frozen_now: datetime) -> None:
    """Every "now" here is one frozen moment: no comparison races a busy machine."""


def _tick(*args: str) -> str:
    out = StringIO()
    call_command("tick", *args, stdout=out)
    return out.getvalue()


def _database() -> list[Any]:
    return [
        list(Publication.objects.order_by("pk").values()),
        list(Post.objects.order_by("pk").values("pk", "state", "scheduled_at")),
        AuditEvent.objects.count(),
        Attempt.objects.count(),
        Notification.objects.count(),
    ]


def test_tick_dry_run_lists_the_next_tick_and_changes_nothing(
    org: Org, fake: FakeAdapter, frozen_now: datetime, django_capture_on_commit_callbacks: Any
) -> None:
    lost = scheduled(org, accounts=[org.mastodon])
    with django_capture_on_commit_callbacks(execute=False):
        services.tick()  # queued, then the broker loses the message
    later = frozen_now + timedelta(minutes=10)
    due = scheduled(org, at=later, accounts=[org.bluesky])
    with time_machine.travel(later, tick=False):
        before = _database()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            listing = _tick("--dry-run")
        assert _database() == before
    assert callbacks == []  # nothing handed to the broker either
    assert "nothing is changed" in listing
    assert f"Posts that would start publishing (1):\n  post #{due.pk} due " in listing
    assert "Ouverture du guichet unique lundi." in listing
    assert f"Lost queue messages that would be taken back (1):\n  post #{lost.pk} → " in listing


def test_tick_dry_run_says_when_there_is_nothing_to_do(org: Org) -> None:
    assert "The next tick would do nothing." in _tick("--dry-run")


def test_tick_command_runs_one_tick(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> None:
    post = scheduled(org, accounts=[org.mastodon])
    with django_capture_on_commit_callbacks(execute=False):
        output = _tick()
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHING
    assert list(Publication.objects.values_list("state", flat=True)) == [P.QUEUED]
    assert "1 post(s) started, 1 publication(s) queued" in output

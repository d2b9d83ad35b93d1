"""The notification e-mail figures on /metrics and the health page: e-mails the sweep should
have sent (no worker, no beat) and e-mails given up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from editorial import services as editorial
from editorial.models import Notification
from publishing import metrics
from tests.conftest import Org

S = Notification.EmailStatus


def _metric(name: str) -> metrics.Sample:
    [sample] = next(m for m in metrics.collect() if m.name == name).samples
    return sample


def _note(org: Org, **fields: Any) -> Notification:
    post = editorial.post_create(by=org.officer, accounts=[org.mastodon], text="Texte.")
    return Notification.objects.create(
        recipient=org.manager, post=post, kind=Notification.Kind.MENTIONED, **fields
    )


def test_metrics_emails_overdue_counts_pending_past_two_sweeps(
    frozen_now: Any, org: Org, settings: Any, time_machine: Any
) -> None:
    settings.EMAIL_SWEEP_AFTER_SECONDS, settings.EMAIL_SWEEP_SECONDS = 60.0, 30.0
    _note(org)
    _note(org, email_status=S.SENT)
    _note(org, email_retry_at=frozen_now + timedelta(minutes=10))  # waiting for its retry
    time_machine.shift(timedelta(seconds=119))
    assert _metric("notification_emails_overdue") == metrics.Sample((), 0.0, False)
    time_machine.shift(timedelta(seconds=2))
    assert _metric("notification_emails_overdue") == metrics.Sample((), 1.0, True)


def test_metrics_emails_failed_counts_the_last_24_hours(
    frozen_now: Any, org: Org, time_machine: Any
) -> None:
    _note(org, email_status=S.FAILED)
    _note(org, email_status=S.FAILED, created_at=frozen_now - timedelta(hours=25))
    _note(org, email_status=S.NOT_WANTED)
    assert _metric("notification_emails_failed_24h") == metrics.Sample((), 1.0, True)

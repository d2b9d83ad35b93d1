"""The task base (config/tasks.py): every task of the project has it, without a ``base=`` at
each task (the app's ``task_cls``), and a best-effort task logs a failed send instead of
raising it."""

from __future__ import annotations

from typing import Any

from celery import current_app

from charter import tasks as charter_tasks
from config.tasks import BestEffortTask, TransactionAwareTask
from editorial import tasks as editorial_tasks
from publishing import tasks as publishing_tasks

APPS = ("accounts", "charter", "editorial", "publishing")


def test_tasks_every_one_of_the_project_enqueues_on_commit() -> None:
    ours = {name: task for name, task in current_app.tasks.items() if name.split(".")[0] in APPS}
    assert {
        "charter.tasks.check_links",
        "editorial.tasks.send_notification_emails",
        "editorial.tasks.escalate_consultations",
        "publishing.tasks.tick",
        "publishing.tasks.delete_remote",
    } <= set(ours)
    assert [n for n, t in ours.items() if not isinstance(t, TransactionAwareTask)] == []


def test_tasks_only_those_a_sweep_or_a_save_recovers_are_best_effort() -> None:
    for task in (editorial_tasks.send_notification_emails, charter_tasks.check_links):
        assert isinstance(task, BestEffortTask) and task.recovered_by != "a sweep"
    for other in (publishing_tasks.tick, publishing_tasks.publish_batch):
        assert not isinstance(other, BestEffortTask)  # their send errors still reach the caller


def test_tasks_best_effort_send_to_a_broker_that_is_down_is_logged_not_raised(
    broker_down: None, caplog: Any
) -> None:
    # No database, so no transaction: sent at once.
    assert charter_tasks.check_links.delay(["https://exemple.gouv.fr/"]) is None
    assert "charter.tasks.check_links not queued; recovered by the draft's next save" in (
        caplog.text
    )

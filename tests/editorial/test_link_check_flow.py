"""Saving a draft queues the link check after commit; its answers reach the charter."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from charter import linkcheck, tasks
from charter import services as charter_services
from charter.models import LinkCheck
from editorial import services
from tests.conftest import Org

TEXT = "Inscriptions sur https://exemple.gouv.fr/inscriptions avant lundi."


def test_saving_a_draft_queues_its_links_after_commit(
    org: Org, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    queued: list[list[str]] = []
    monkeypatch.setattr(tasks.check_links, "send_now", lambda args, *rest: queued.append(args[0]))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.post_create(by=org.officer, accounts=[org.mastodon], text=TEXT)
    assert queued == []  # not before the commit
    for callback in callbacks:
        callback()
    assert queued == [["https://exemple.gouv.fr/inscriptions"]]


def test_a_draft_rolled_back_queues_no_link_check(
    org: Org, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    queued: list[list[str]] = []
    monkeypatch.setattr(tasks.check_links, "send_now", lambda args, *rest: queued.append(args[0]))
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.post_create(by=org.officer, accounts=[org.mastodon], text=TEXT)
        raise RuntimeError("a later step failed")
    assert queued == []


def test_a_broker_that_is_down_never_loses_the_draft(
    org: Org, broker_down: None, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_create(by=org.officer, accounts=[org.mastodon], text=TEXT)
    post.refresh_from_db()
    assert post.current_revision is not None and post.current_revision.text == TEXT
    assert "charter.tasks.check_links not queued" in caplog.text


def test_broken_link_found_by_the_worker_shows_at_submission(org: Org, monkeypatch: Any) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=TEXT)
    # What the worker records (charter.services.link_checks_run) for a page that is gone.
    monkeypatch.setattr(
        linkcheck, "fetch", lambda url, **kw: linkcheck.Answer(False, "404 Not Found")
    )
    charter_services.link_checks_run(urls=["https://exemple.gouv.fr/inscriptions"])
    assert LinkCheck.objects.get().detail == "404 Not Found"

    report = services.post_submit(post=post, by=org.officer)

    assert [f.rule for f in report.findings if f.rule == "links.reachable"] == ["links.reachable"]


def test_post_page_lists_each_link_with_its_check(org: Org) -> None:
    from django.test import Client
    from django.urls import reverse

    text = "Voir https://a.gouv.fr/ok et https://a.gouv.fr/gone et https://a.gouv.fr/new"
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=text)
    from django.utils import timezone

    LinkCheck.objects.create(
        url="https://a.gouv.fr/ok", ok=True, detail="200 OK", checked_at=timezone.now()
    )
    LinkCheck.objects.create(
        url="https://a.gouv.fr/gone", ok=False, detail="404 Not Found", checked_at=timezone.now()
    )
    client = Client(headers={"accept-language": "en"})
    client.force_login(org.officer)
    page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
    assert "does not work: 404 Not Found" in page
    assert page.count("being checked") == 1
    assert page.count(">works<") == 1

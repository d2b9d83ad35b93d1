"""Embargo and source: stored on the revision, covered by its hash, checked by the charter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User
from editorial import diffs, history, services
from editorial.models import Post, PostState, Revision
from tests.conftest import Org

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
EMBARGO = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
EARLY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
FIGURES = "Le chômage a baissé de 12 % en 2025 dans notre département."
SOURCE = "Insee, enquête Emploi 2025"
EN = {"accept-language": "en"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft(org: Org, **kwargs: Any) -> Post:
    defaults: dict[str, Any] = {"text": "Conférence de presse sur le budget."}
    defaults.update(kwargs)
    return services.post_create(by=org.officer, accounts=[org.mastodon], **defaults)


def _revision(post: Post) -> Revision:
    post.refresh_from_db()
    assert post.current_revision is not None
    return post.current_revision


def test_post_create_stores_embargo_and_source(org: Org) -> None:
    revision = _revision(_draft(org, embargo_until=EMBARGO, source=f"  {SOURCE} "))
    assert (revision.embargo_until, revision.source) == (EMBARGO, SOURCE)


def test_embargo_is_part_of_the_content_hash(org: Org) -> None:
    plain = _revision(_draft(org))
    embargoed = _revision(_draft(org, embargo_until=EMBARGO))
    assert plain.content_hash != embargoed.content_hash


def test_source_is_part_of_the_content_hash(org: Org) -> None:
    plain = _revision(_draft(org))
    sourced = _revision(_draft(org, source=SOURCE))
    assert plain.content_hash != sourced.content_hash


def test_post_update_keeps_embargo_and_source_unless_given(org: Org) -> None:
    post = _draft(org, embargo_until=EMBARGO, source=SOURCE)
    services.post_update(post=post, by=org.officer, base_revision=1, text="Autre.", language="fr")
    revision = _revision(post)
    assert (revision.number, revision.embargo_until, revision.source) == (2, EMBARGO, SOURCE)


def test_post_update_clears_the_embargo_when_asked(org: Org) -> None:
    post = _draft(org, embargo_until=EMBARGO, source=SOURCE)
    services.post_update(
        post=post,
        by=org.officer,
        base_revision=1,
        text="Autre.",
        language="fr",
        embargo_until=None,
        source="",
    )
    revision = _revision(post)
    assert (revision.embargo_until, revision.source) == (None, "")


@time_machine.travel(NOW, tick=False)
def test_post_submit_refuses_a_requested_time_before_the_embargo(org: Org) -> None:
    post = _draft(org, embargo_until=EMBARGO, requested_publish_at=EARLY)
    with pytest.raises(services.CharterRefused, match="before the embargo ends") as refused:
        services.post_submit(post=post, by=org.officer)
    assert [f.rule for f in refused.value.report.blocking] == ["embargo.later_than_schedule"]


@time_machine.travel(NOW, tick=False)
def test_post_submit_accepts_a_requested_time_after_the_embargo(org: Org) -> None:
    post = _draft(org, embargo_until=EMBARGO, requested_publish_at=LATE)
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW


@time_machine.travel(NOW, tick=False)
def test_source_silences_the_figures_finding(org: Org) -> None:
    without = services.post_submit(post=_draft(org, text=FIGURES), by=org.officer)
    sourced = _draft(org, text=FIGURES, source=SOURCE)
    with_source = services.post_submit(post=sourced, by=org.officer)
    assert "gov.figures_source" in {f.rule for f in without.findings}
    assert "gov.figures_source" not in {f.rule for f in with_source.findings}


@time_machine.travel(NOW, tick=False)
def test_compose_view_saves_embargo_and_source(org: Org) -> None:
    response = _client(org.officer).post(
        reverse("editorial:compose"),
        {
            "accounts": [org.mastodon.pk],
            "text": FIGURES,
            "language": "fr",
            "tier": "standard",
            "embargo_until": "2026-11-24T11:00",
            "source": SOURCE,
            "save": "1",
        },
    )
    assert response.status_code == 302
    revision = _revision(Post.objects.get())
    assert revision.embargo_until is not None
    assert revision.source == SOURCE


@time_machine.travel(NOW, tick=False)
def test_edit_view_keeps_the_embargo_in_the_form(org: Org) -> None:
    post = _draft(org, embargo_until=EMBARGO, source=SOURCE)
    response = _client(org.officer).get(reverse("editorial:edit", args=[post.pk]), headers=EN)
    assert SOURCE in response.content.decode()
    assert 'name="embargo_until"' in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_post_page_shows_embargo_and_source(org: Org) -> None:
    post = _draft(org, embargo_until=EMBARGO, source=SOURCE)
    response = _client(org.officer).get(reverse("editorial:post", args=[post.pk]), headers=EN)
    content = response.content.decode()
    assert 'id="post-embargo"' in content
    assert SOURCE in content


def _live(org: Org, **fields: str) -> str:
    response = _client(org.officer).post(
        reverse("editorial:live_check"),
        {"accounts": [org.mastodon.pk], "text": FIGURES, **fields},
        headers=EN,
    )
    return response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_live_check_shows_the_embargo_finding(org: Org) -> None:
    page = _live(org, requested_publish_at="2026-11-23T11:00", embargo_until="2026-11-24T11:00")
    assert 'data-rule="embargo.later_than_schedule"' in page


@time_machine.travel(NOW, tick=False)
def test_live_check_reads_the_source(org: Org) -> None:
    assert 'data-rule="gov.figures_source"' in _live(org)
    assert 'data-rule="gov.figures_source"' not in _live(org, source=SOURCE)


def test_history_shows_a_changed_embargo_and_source(org: Org) -> None:
    post = _draft(org, embargo_until=EMBARGO, source=SOURCE)
    services.post_update(
        post=post,
        by=org.officer,
        base_revision=1,
        text="Conférence de presse sur le budget.",
        language="fr",
        embargo_until=LATE,
        source="",
    )
    latest = history.post_history(post).revisions[0]
    kinds = {c.kind: c for c in latest.diff.changes}
    assert set(kinds) == {diffs.Change.EMBARGO, diffs.Change.SOURCE}
    assert kinds[diffs.Change.SOURCE].before == SOURCE
    assert kinds[diffs.Change.SOURCE].after == ""

"""What editorial puts in the charter's snapshot beyond the text: schedule, author, elections."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.services import membership_create
from charter.models import ElectionWindow
from charter.snapshot import PostSnapshot
from editorial import services
from editorial.models import Post
from editorial.snapshots import snapshot_for_revision
from tests.conftest import Org
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def _draft(org: Org, **fields: object) -> Post:
    return services.post_create(
        by=org.officer,
        accounts=[org.mastodon, org.bluesky],
        text="La mairie change d'horaires.",
        language="fr",
        **fields,  # type: ignore[arg-type]
    )


def _snapshot(post: Post) -> PostSnapshot:
    assert post.current_revision is not None
    return snapshot_for_revision(post, post.current_revision)


@time_machine.travel(NOW, tick=False)
def test_snapshot_carries_author_unit_code_and_initials(org: Org) -> None:
    snapshot = _snapshot(_draft(org))
    assert (snapshot.author_unit_code, snapshot.author_initials) == ("SICOM", "JD")
    assert snapshot.checked_at == timezone.now()


@time_machine.travel(NOW, tick=False)
def test_snapshot_schedule_is_the_requested_time(org: Org) -> None:
    wanted = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    assert _snapshot(_draft(org, requested_publish_at=wanted)).scheduled_for == wanted


@time_machine.travel(NOW, tick=False)
def test_snapshot_schedule_prefers_the_booked_time(org: Org) -> None:
    post = _draft(org, requested_publish_at=datetime(2026, 2, 1, 10, 0, tzinfo=UTC))
    post.scheduled_at = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
    assert _snapshot(post).scheduled_for == post.scheduled_at


@time_machine.travel(NOW, tick=False)
def test_snapshot_account_active_flag(org: Org) -> None:
    post = _draft(org)
    org.bluesky.is_active = False
    org.bluesky.save(update_fields=["is_active"])
    flags = {r.account_id: r.account_active for r in _snapshot(post).renditions}
    assert flags == {org.mastodon.pk: True, org.bluesky.pk: False}


@time_machine.travel(NOW, tick=False)
def test_snapshot_election_windows_of_the_speaking_unit(org: Org) -> None:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=date(2026, 3, 15)
    )
    (window,) = _snapshot(_draft(org)).election_windows
    assert (window.name, window.window_start) == ("Municipales 2026", date(2025, 9, 1))


@time_machine.travel(NOW, tick=False)
def test_post_submit_refused_during_electoral_silence(org: Org) -> None:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=None, first_round=date(2026, 3, 15)
    )
    saturday = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    post = _draft(org, requested_publish_at=saturday)
    with pytest.raises(services.CharterRefused) as refused:
        services.post_submit(post=post, by=org.officer)
    codes = {f.rule for f in refused.value.report.blocking}
    assert "neutrality.electoral_silence" in codes


@time_machine.travel(NOW, tick=False)
def test_post_submit_stores_the_tier_an_election_asks_for(org: Org) -> None:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=None, first_round=date(2026, 3, 15)
    )
    # The political tier needs someone to head the unit (or an electoral referent) to approve.
    membership_create(user=make_user(), unit=org.service, role=Membership.Role.ADMIN)
    post = _draft(org, requested_publish_at=datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    assert post.current_revision is not None
    stored = post.current_revision.check_report["findings"]
    window = [f for f in stored if f["rule"] == "neutrality.election_window"]
    assert [(f["severity"], f["min_tier"]) for f in window] == [("warn", "political")]


def _live(org: Org, when: str) -> str:
    client = Client()
    client.force_login(org.officer)
    response = client.post(
        reverse("editorial:live_check"),
        {
            "accounts": [org.mastodon.pk],
            "text": "La mairie change d'horaires.",
            "requested_publish_at": when,
        },
        headers={"accept-language": "en"},
    )
    return response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_live_check_judges_the_requested_time(org: Org) -> None:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=None, first_round=date(2026, 3, 15)
    )
    assert 'data-rule="neutrality.electoral_silence"' in _live(org, "2026-03-14T09:30")
    assert 'data-rule="neutrality.electoral_silence"' not in _live(org, "2026-03-16T09:30")


@time_machine.travel(NOW, tick=False)
def test_live_check_half_typed_time_judged_as_now(org: Org) -> None:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=None, first_round=date(2026, 3, 15)
    )
    page = _live(org, "2026-03-1")  # now (12 January) is in the pre-electoral period
    assert 'data-rule="neutrality.election_window"' in page
    assert 'data-rule="neutrality.electoral_silence"' not in page

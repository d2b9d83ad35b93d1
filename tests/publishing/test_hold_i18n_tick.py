"""A hold made by the tick (no request, no reader) reads in each reader's language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from charter.models import ElectionWindow
from editorial.models import PostState
from publishing import services
from tests.conftest import Org
from tests.publishing.conftest import FakeAdapter, RecordingTask, scheduled

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
SATURDAY_NOON = datetime(2026, 3, 14, 12, 0, tzinfo=PARIS)
SILENCE = {"en": "during the electoral silence", "fr": "pendant le silence électoral"}
OTHER = {"en": "fr", "fr": "en"}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_tick_hold_banner_and_notifications_in_the_readers_language(
    org: Org, fake: FakeAdapter, broker: RecordingTask, language: str
) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = scheduled(org, at=SATURDAY_NOON)
    # Recorded without the declaration's re-check: only the tick's claim catches the post.
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=date(2026, 3, 15)
    )
    with time_machine.travel(SATURDAY_NOON, tick=False):
        services.tick()
    post.refresh_from_db()
    assert post.state == PostState.HELD
    client = Client(headers={"accept-language": language})
    client.force_login(org.officer)
    with time_machine.travel(SATURDAY_NOON, tick=False):
        page = client.get(reverse("editorial:post", args=[post.pk])).content.decode()
        notes = client.get(reverse("editorial:notifications")).content.decode()
    banner = page.split('id="charter-hold"', 1)[1].split("</div>", 1)[0]
    listed = notes.split('class="charter-hold"', 1)[1].split("</div>", 1)[0]
    for shown in (banner, listed):
        assert SILENCE[language] in shown
        assert SILENCE[OTHER[language]] not in shown

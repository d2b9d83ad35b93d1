"""A finding on the institution's record before an election (Code électoral L52-1) blocks, and
only an electoral referent of the speaking unit may waive it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, User
from accounts.services import membership_create
from charter.elections import PARIS
from charter.models import ElectionWindow
from charter.services import electoral_referent_designate
from editorial import selectors, services
from editorial.models import Post, Waiver
from editorial.services import waivers
from tests.conftest import Org
from tests.factories import make_user

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=PARIS)
TEXT = "La nouvelle crèche ouvre lundi : promesse tenue !"
WHY = "Inauguration annoncée par la préfecture, information pratique seulement."


@pytest.fixture
def chief(org: Org) -> User:
    """Holds the waive right on the service's accounts (ADMIN), but is no referent."""
    chief = make_user(username="chief", first_name="Paul", last_name="Chef")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    return chief


@pytest.fixture
def post(org: Org) -> Post:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=None, first_round=date(2026, 3, 15)
    )
    return services.post_create(
        by=org.officer,
        accounts=[org.mastodon],
        text=TEXT,
        requested_publish_at=datetime(2026, 1, 20, 9, 0, tzinfo=PARIS),
    )


def _waive(post: Post, by: User) -> Waiver:
    return waivers.waiver_grant(
        post=post, rule="neutrality.bilan", category="editorial", justification=WHY, by=by
    )


@time_machine.travel(NOW, tick=False)
def test_record_promotion_blocks_submission_in_the_pre_electoral_period(
    org: Org, post: Post
) -> None:
    with pytest.raises(services.CharterRefused) as info:
        services.post_submit(post=post, by=org.officer)
    assert [f.rule for f in info.value.report.blocking] == ["neutrality.bilan"]


@time_machine.travel(NOW, tick=False)
def test_record_promotion_waiver_refused_to_a_waiver_who_is_no_referent(
    org: Org, post: Post, chief: User
) -> None:
    with pytest.raises(PermissionDenied, match="Only an electoral referent"):
        _waive(post, chief)
    assert not Waiver.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_record_promotion_waived_by_the_units_electoral_referent(
    org: Org, post: Post, chief: User
) -> None:
    superuser = make_user(username="root", is_superuser=True, is_staff=True)
    electoral_referent_designate(user=chief, unit=org.ministry, by=superuser)

    _waive(post, chief)

    assert selectors.current_report(post).ok

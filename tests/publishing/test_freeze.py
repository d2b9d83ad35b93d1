"""The scheduler passes over frozen posts; they stay scheduled and go out once lifted."""

from __future__ import annotations

from accounts.models import Membership
from accounts.services import membership_create
from editorial import services as editorial
from editorial.models import PostState
from publishing import services
from tests.conftest import Org
from tests.factories import make_user
from tests.publishing.conftest import FakeAdapter, scheduled


def test_tick_leaves_a_frozen_post_scheduled(org: Org, fake: FakeAdapter) -> None:
    post = scheduled(org)
    editorial.freeze_create(account=org.bluesky, reason="Piratage", by=org.manager)
    result = services.tick()
    post.refresh_from_db()
    assert result.started_posts == 0
    assert post.state == PostState.SCHEDULED
    assert not post.publications.exists()


def test_tick_starts_a_post_once_its_freeze_is_lifted(org: Org, fake: FakeAdapter) -> None:
    post = scheduled(org)
    freeze = editorial.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    services.tick()
    editorial.freeze_lift(freeze=freeze, by=org.manager)
    result = services.tick()
    post.refresh_from_db()
    assert result.started_posts == 1
    assert post.state == PostState.PUBLISHING


def test_tick_starts_posts_of_unfrozen_accounts(org: Org, fake: FakeAdapter) -> None:
    frozen = scheduled(org, accounts=[org.mastodon])
    free = scheduled(org, accounts=[org.bluesky])
    editorial.freeze_create(account=org.mastodon, reason="Piratage", by=org.manager)
    services.tick()
    frozen.refresh_from_db()
    free.refresh_from_db()
    assert frozen.state == PostState.SCHEDULED
    assert free.state == PostState.PUBLISHING


def test_tick_starts_nothing_under_an_org_wide_freeze(org: Org, fake: FakeAdapter) -> None:
    admin = make_user(username="cabinet")
    membership_create(user=admin, unit=org.ministry, role=Membership.Role.ADMIN)
    posts = [scheduled(org, accounts=[org.mastodon]), scheduled(org, accounts=[org.bluesky])]
    freeze = editorial.freeze_create(account=None, reason="Deuil national", by=admin)
    assert services.tick().started_posts == 0
    editorial.freeze_lift(freeze=freeze, by=admin)
    assert services.tick().started_posts == 2
    for post in posts:
        post.refresh_from_db()
        assert post.state == PostState.PUBLISHING

"""The charter chooses the byline form: a short byline ("^JD") passes under a short-form
charter, as long as the initials are the author's."""

from __future__ import annotations

import pytest

from accounts.models import User
from charter import services as charter_services
from editorial import services
from editorial.models import PostState
from tests.conftest import Org
from tests.factories import make_user


@pytest.fixture
def root(org: Org) -> User:
    return make_user(username="root", is_superuser=True, is_staff=True)


def _submit(org: Org) -> str:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Concert samedi.")
    try:
        services.post_submit(post=post, by=org.officer)
    except services.CharterRefused as refused:
        return ",".join(f.rule for f in refused.report.blocking)
    post.refresh_from_db()
    return str(post.state)


def test_short_byline_blocked_under_the_default_full_form(org: Org) -> None:
    org.mastodon.byline_template = "^{initials}"
    org.mastodon.save()
    assert _submit(org) == "gov.byline"


def test_short_byline_passes_when_the_charter_chooses_the_short_form(org: Org, root: User) -> None:
    org.mastodon.byline_template = "^{initials}"
    org.mastodon.save()
    charter = charter_services.charter_create(name="Charte", unit=None, by=root)
    charter_services.charter_version_create(
        charter=charter, params={"gov.byline": {"form": "short"}}, by=root
    )
    assert _submit(org) == PostState.IN_REVIEW


def test_short_form_still_refuses_initials_that_are_not_the_authors(org: Org, root: User) -> None:
    org.mastodon.byline_template = "^AB"
    org.mastodon.save()
    charter = charter_services.charter_create(name="Charte", unit=None, by=root)
    charter_services.charter_version_create(
        charter=charter, params={"gov.byline": {"form": "short"}}, by=root
    )
    assert _submit(org) == "gov.byline"

"""The public pages ("Qui publie ici ?"): no login, and nothing that is not public.

Published posts go through the real services and the outbox with the fake network adapter
(``tests.publishing.conftest``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Membership
from accounts.services import membership_create, social_account_set_active
from charter import services as charter_services
from charter.models import Charter
from editorial import services as editorial
from editorial.models import Post, PostState
from publishing import services
from publishing.models import Publication
from tests.conftest import Org
from tests.factories import make_delegation, make_user
from tests.publishing.conftest import FakeAdapter, scheduled

REASON = "Erreur de date dans l'annonce."
SUMMARY = "Nous publions des informations pratiques, sans opinion politique."


@pytest.fixture(autouse=True)
def _clock(frozen_now: datetime) -> None:
    """Approvals and publications dated at one frozen moment."""


def _publish(org: Org, capture: Callable[..., Any], *, accounts: Any = None) -> Post:
    post = scheduled(org, accounts=accounts)
    with capture(execute=False):
        result = services.tick()
    for pk in result.queued:
        services.publication_send(publication_id=pk)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    return post


@pytest.fixture
def publish(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any
) -> Callable[..., Post]:
    return lambda **kw: _publish(org, django_capture_on_commit_callbacks, **kw)


def _charter(org: Org) -> None:
    admin = make_user(username="chartermaker", is_superuser=True)
    charter = charter_services.charter_create(name="Charte SICOM", unit=org.service, by=admin)
    charter_services.charter_version_create(
        charter=charter, params={}, by=admin, public_summary=SUMMARY
    )


def _get(name: str, *args: Any) -> Any:
    return Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse(f"publishing:{name}", args=args))


def test_public_accounts_lists_the_active_accounts_without_login(org: Org) -> None:
    admin = make_user(username="unitadmin")
    membership_create(user=admin, unit=org.service, role=Membership.Role.ADMIN)
    social_account_set_active(account=org.bluesky, active=False, by=admin)
    response = _get("public_accounts")
    assert response.status_code == 200
    page = response.content.decode()
    assert org.mastodon.handle in page
    assert org.bluesky.handle not in page


def test_public_account_shows_contact_moderation_and_charter_summary(org: Org) -> None:
    _charter(org)
    org.mastodon.public_contact = "contact@mairie-exemple.fr"
    org.mastodon.moderation_policy = "Les réponses sont lues du lundi au vendredi."
    org.mastodon.save()
    page = _get("public_account", org.mastodon.pk).content.decode()
    assert "mailto:contact@mairie-exemple.fr" in page
    assert "Les réponses sont lues du lundi au vendredi." in page
    assert "Charte SICOM v1" in page and SUMMARY in page


def test_public_account_decodes_initials_without_names(org: Org, publish: Any) -> None:
    org.officer.job_title = "chargée de communication"
    org.officer.save()
    post = publish()
    page = _get("public_account", org.mastodon.pk).content.decode()
    assert "JD" in page and "SICOM" in page and "chargée de communication" in page
    assert "Dupont" not in page and "Jeanne" not in page
    assert reverse("publishing:public_post", args=[post.pk]) in page


def test_public_account_names_an_agent_who_agreed(org: Org, publish: Any) -> None:
    org.officer.public_name_consent = True
    org.officer.save()
    publish()
    assert "Jeanne Dupont" in _get("public_account", org.mastodon.pk).content.decode()


def test_public_account_queries_do_not_grow_with_posts(org: Org, publish: Any) -> None:
    publish()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _get("public_account", org.mastodon.pk).status_code == 200
        return len(queries)

    one = count()
    for _ in range(19):
        publish()
    assert Publication.objects.filter(account=org.mastodon).count() == 20
    assert count() == one


def test_public_accounts_queries_do_not_grow_with_accounts(org: Org) -> None:
    from tests.factories import make_account

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _get("public_accounts").status_code == 200
        return len(queries)

    one = count()
    for _ in range(18):
        make_account(org.service)
    assert count() == one


def test_public_post_expands_the_byline(org: Org, publish: Any) -> None:
    _charter(org)
    org.manager.job_title = "cheffe du service"
    org.manager.save()
    post = publish()
    page = _get("public_post", post.pk).content.decode()
    assert "SICOM" in page and "Service communication" in page
    assert "JD" in page and "ML" in page and "cheffe du service" in page
    # Approved at the frozen moment (2 March 2026).
    assert "2026" in page
    assert "Charte SICOM v1" in page and SUMMARY in page
    for publication in Publication.objects.filter(post=post):
        assert publication.remote_url in page
        assert publication.text.splitlines()[0] in page
    assert "Dupont" not in page and "Leroy" not in page


def test_public_post_names_only_the_agents_who_agreed(org: Org, publish: Any) -> None:
    org.manager.public_name_consent = True
    org.manager.save()
    page = _get("public_post", publish().pk).content.decode()
    assert "Marc Leroy" in page
    assert "Dupont" not in page


def test_public_post_says_when_an_approver_stood_in_for_a_member(
    org: Org, fake: FakeAdapter, django_capture_on_commit_callbacks: Any, frozen_now: datetime
) -> None:
    # The manager is away: their deputy approves in their place (a delegation of the day).
    deputy = make_user(username="deputy", first_name="Paul", last_name="Adjoint")
    deputy.job_title = "adjoint au chef du service"
    deputy.save()
    make_delegation(org.manager, deputy, frozen_now.date(), frozen_now.date())
    post = editorial.post_create(
        by=org.officer, accounts=[org.mastodon], text="Ouverture du guichet unique lundi."
    )
    editorial.post_submit(post=post, by=org.officer)
    editorial.post_approve(post=post, by=deputy)
    editorial.post_schedule(post=post, by=org.manager)
    with django_capture_on_commit_callbacks(execute=False):
        result = services.tick()
    for pk in result.queued:
        services.publication_send(publication_id=pk)
    page = _get("public_post", post.pk).content.decode()
    # "PA, adjoint au chef du service as deputy of ML": initials and functions, no names.
    assert "adjoint au chef du service" in page
    assert "as deputy of" in page
    deputy_at = page.index("as deputy of")
    assert ">PA</abbr>" in page[:deputy_at] and ">ML</abbr>" in page[deputy_at:]
    assert "Adjoint" not in page.replace("adjoint au chef", "") and "Leroy" not in page


def test_public_post_never_shows_tokens_or_keys(org: Org, publish: Any) -> None:
    post = publish()
    page = _get("public_post", post.pk).content.decode()
    assert "s3cret" not in page
    for publication in Publication.objects.filter(post=post):
        # The idempotency key (the fake network puts it in its own links, which are public).
        assert str(publication.pk) not in page.replace(publication.remote_url, "")
        assert publication.remote_id not in page.replace(publication.remote_url, "")


def test_public_post_shows_waived_rules_but_not_the_justification(org: Org, publish: Any) -> None:
    post = publish()
    record = dict(post.byline_record)
    record["waivers"] = [
        {"rule": "pii.phone", "category": "own_contact", "by": {"id": 1, "name": "Marc Leroy"}}
    ]
    Post.objects.filter(pk=post.pk).update(byline_record=record)
    page = _get("public_post", post.pk).content.decode()
    assert "pii.phone" in page and "own contact details" in page
    assert "Leroy" not in page


def test_public_post_of_a_retracted_post_shows_the_notice_not_the_text(
    org: Org, publish: Any
) -> None:
    post = publish()
    editorial.post_retract(post=post, by=org.manager, reason=REASON)
    page = _get("public_post", post.pk).content.decode()
    assert "This post was retracted" in page and escape(REASON) in page
    assert "Ouverture du guichet unique" not in page


@pytest.mark.parametrize("state", ["draft", "in_review", "approved", "scheduled", "missing"])
def test_public_post_of_anything_unpublished_is_404(org: Org, state: str) -> None:
    post = editorial.post_create(by=org.officer, accounts=[org.mastodon], text="Pas encore.")
    if state != "draft":
        editorial.post_submit(post=post, by=org.officer)
    if state in {"approved", "scheduled"}:
        editorial.post_approve(post=post, by=org.manager)
    if state == "scheduled":
        editorial.post_schedule(post=post, by=org.manager, at=None)
    response = _get("public_post", post.pk + 1000 if state == "missing" else post.pk)
    assert response.status_code == 404
    assert "Pas encore." not in response.content.decode()


def test_public_post_shows_only_the_parts_that_were_published(
    org: Org, fake: FakeAdapter, publish: Any
) -> None:
    post = publish()
    Publication.objects.filter(post=post, account=org.bluesky).update(state="failed")
    page = _get("public_post", post.pk).content.decode()
    assert org.mastodon.handle in page
    assert org.bluesky.handle not in page


def test_public_account_of_a_missing_account_is_404(db: None) -> None:
    assert _get("public_account", 999).status_code == 404


def test_public_pages_charter_of_the_account_itself(org: Org) -> None:
    admin = make_user(username="chartermaker", is_superuser=True)
    own = Charter.objects.create(name="Charte du compte", account=org.mastodon)
    charter_services.charter_version_create(
        charter=own, params={}, by=admin, public_summary="À lui."
    )
    page = _get("public_account", org.mastodon.pk).content.decode()
    assert "Charte du compte v1" in page and "À lui." in page


def test_public_post_queries_do_not_grow_with_accounts(org: Org, publish: Any) -> None:
    one = publish(accounts=[org.mastodon])
    two = publish(accounts=[org.mastodon, org.bluesky])

    def count(post: Post) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _get("public_post", post.pk).status_code == 200
        return len(queries)

    assert count(one) == count(two)

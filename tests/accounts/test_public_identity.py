"""Who speaks: the byline's placeholders, an agent's consent and function, an account's
public profile (``accounts.bylines``, ``accounts.identity``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from accounts import bylines
from accounts.identity import AccountIdentity, social_account_set_identity, user_set_public_profile
from accounts.models import Membership, SocialAccount
from accounts.services import OrganisationError, membership_create
from editorial.models import AuditEvent
from tests.conftest import Org
from tests.factories import make_user

SITE = "https://porte-voix.example.gouv.fr"


@pytest.fixture
def site(settings: Any) -> None:
    settings.SITE_URL = SITE + "/"


def _identity(account: SocialAccount, **changes: str) -> AccountIdentity:
    values = {
        "public_description": account.public_description,
        "public_contact": account.public_contact,
        "moderation_policy": account.moderation_policy,
        "byline_template": account.byline_template,
    }
    return AccountIdentity(**(values | changes))


def test_byline_default_template_is_unchanged(org: Org) -> None:
    assert org.mastodon.render_byline(unit_code="SICOM", initials="JD") == "— SICOM ^JD"


def test_byline_url_is_the_posts_public_page(org: Org, site: None) -> None:
    org.mastodon.byline_template = "— {unit} ^{initials} {url}"
    line = org.mastodon.render_byline(unit_code="SICOM", initials="JD", post_id=42)
    assert line == f"— SICOM ^JD {SITE}/public/p/42/"


def test_byline_account_url_is_the_accounts_public_page(org: Org, site: None) -> None:
    org.bluesky.byline_template = "— {unit} · {account_url}"
    line = org.bluesky.render_byline(unit_code="SICOM", initials="JD")
    assert line == f"— SICOM · {SITE}/public/a/{org.bluesky.pk}/"


def test_byline_url_before_the_post_exists_is_no_shorter_than_a_real_one(
    org: Org, site: None
) -> None:
    org.bluesky.byline_template = "{url}"
    stand_in = org.bluesky.render_byline(unit_code="SICOM", initials="JD")
    real = org.bluesky.render_byline(unit_code="SICOM", initials="JD", post_id=123_456)
    assert len(stand_in) >= len(real)


def test_byline_never_reaches_into_objects(org: Org) -> None:
    org.mastodon.byline_template = "{unit.__class__} {initials!r}"
    assert org.mastodon.render_byline(unit_code="SICOM", initials="JD") == (
        "{unit.__class__} {initials!r}"
    )


@pytest.mark.parametrize(
    ("template", "fine"),
    [
        ("— {unit} ^{initials} · {url}", True),
        ("{account_url}", True),
        ("{{littéral}} {unit}", True),
        ("— {service}", False),
        ("{unit.__class__}", False),
        ("{initials:>10}", False),
        ("— {unit", False),
    ],
)
def test_byline_template_errors(template: str, fine: bool) -> None:
    assert (bylines.template_errors(template) == []) is fine


def test_user_public_profile_is_recorded(org: Org) -> None:
    user_set_public_profile(
        user=org.officer,
        job_title=" chargée de communication ",
        public_name_consent=True,
        by=org.officer,
    )
    org.officer.refresh_from_db()
    assert org.officer.job_title == "chargée de communication"
    assert org.officer.public_name_consent is True
    event = AuditEvent.objects.get(verb="user_changed")
    assert event.actor == org.officer
    assert event.data["changes"]["public_name_consent"] == {"before": False, "after": True}


def test_user_public_profile_consent_is_the_agents_own(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        user_set_public_profile(
            user=org.officer, job_title="", public_name_consent=True, by=org.manager
        )
    org.officer.refresh_from_db()
    assert org.officer.public_name_consent is False


def test_user_public_name_consent_defaults_to_no(db: None) -> None:
    assert make_user(username="nouvelle").public_name_consent is False


def _admin(org: Org) -> Any:
    admin = make_user(username="unitadmin")
    membership_create(user=admin, unit=org.service, role=Membership.Role.ADMIN)
    return admin


def test_account_identity_is_saved_and_recorded(org: Org) -> None:
    admin = _admin(org)
    identity = _identity(
        org.mastodon,
        public_contact="contact@mairie-exemple.fr",
        moderation_policy="Les réponses sont lues du lundi au vendredi.",
        byline_template="— {unit} ^{initials} · {url}",
    )
    social_account_set_identity(account=org.mastodon, identity=identity, by=admin)
    org.mastodon.refresh_from_db()
    assert org.mastodon.public_contact == "contact@mairie-exemple.fr"
    assert org.mastodon.byline_template == "— {unit} ^{initials} · {url}"
    event = AuditEvent.objects.get(verb="account_changed")
    assert event.actor == admin
    assert set(event.data["changes"]) == {"public_contact", "moderation_policy", "byline_template"}


def test_account_identity_needs_a_unit_administrator(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        social_account_set_identity(
            account=org.mastodon,
            identity=_identity(org.mastodon, public_contact="https://mairie.fr/contact"),
            by=org.manager,
        )
    org.mastodon.refresh_from_db()
    assert org.mastodon.public_contact == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("public_contact", "pas une adresse"),
        ("public_contact", "ftp://mairie.fr"),
        ("byline_template", "— {service}"),
        ("byline_template", "   "),
        ("byline_template", "x" * 101),
    ],
)
def test_account_identity_refuses_bad_input_in_words(org: Org, field: str, value: str) -> None:
    with pytest.raises(OrganisationError) as refused:
        social_account_set_identity(
            account=org.mastodon, identity=_identity(org.mastodon, **{field: value}), by=_admin(org)
        )
    assert str(refused.value)
    org.mastodon.refresh_from_db()
    assert getattr(org.mastodon, field) != value
    assert not AuditEvent.objects.filter(verb="account_changed").exists()


def test_byline_url_is_the_posts_own_in_the_check_and_the_frozen_byline(
    org: Org, site: None
) -> None:
    from editorial import services as editorial
    from editorial.snapshots import snapshot_for_revision

    org.bluesky.byline_template = "— {unit} ^{initials} {url}"
    org.bluesky.save(update_fields=["byline_template"])
    post = editorial.post_create(by=org.officer, accounts=[org.bluesky], text="Bonjour.")
    expected = f"— SICOM ^JD {SITE}/public/p/{post.pk}/"
    assert post.current_revision is not None
    (rendition,) = snapshot_for_revision(post, post.current_revision).renditions
    assert rendition.byline == expected
    editorial.post_submit(post=post, by=org.officer)
    editorial.post_approve(post=post, by=org.manager)
    editorial.post_schedule(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.byline_record["bylines"] == {str(org.bluesky.pk): expected}


def test_account_identity_byline_change_rechecks_the_scheduled_posts(org: Org) -> None:
    from editorial import services as editorial
    from editorial.models import Post, PostState

    post = editorial.post_create(by=org.officer, accounts=[org.mastodon], text="Bonjour.")
    editorial.post_submit(post=post, by=org.officer)
    editorial.post_approve(post=post, by=org.manager)
    editorial.post_schedule(post=post, by=org.manager)
    # Without the initials, the charter's byline rule refuses what is scheduled.
    held = social_account_set_identity(
        account=org.mastodon,
        identity=_identity(org.mastodon, byline_template="— {unit} · {url}"),
        by=_admin(org),
    )
    assert len(held) == 1
    assert Post.objects.get(pk=post.pk).state == PostState.HELD

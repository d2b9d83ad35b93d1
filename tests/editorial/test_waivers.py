"""Charter waivers: who may waive what, and what a waiver changes (services)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from accounts import permissions
from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import selectors, services
from editorial.models import Notification, Post, PostState, Waiver
from editorial.services import waivers
from tests.conftest import Org
from tests.factories import drop_permission_row, make_user

S = PostState
EMAIL_TEXT = "Écrivez-nous à contact@mairie-exemple.fr pour toute question sur le dossier."
WHY = "Adresse de contact officielle du service, publiée sur notre site."


@pytest.fixture
def chief(org: Org) -> User:
    """An administrator of the service: holds the waive right through the ADMIN role."""
    chief = make_user(username="chief", first_name="Paul", last_name="Chef")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    return chief


def _draft(org: Org, text: str = EMAIL_TEXT, by: User | None = None) -> Post:
    return services.post_create(
        by=by or org.officer, accounts=[org.mastodon, org.bluesky], text=text
    )


def _waive(post: Post, by: User, rule: str = "pii.email", category: str = "own_contact") -> Waiver:
    return waivers.waiver_grant(post=post, rule=rule, category=category, justification=WHY, by=by)


def test_waiver_grant_refuses_the_author(org: Org, chief: User) -> None:
    post = _draft(org, by=chief)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        _waive(post, chief)
    assert not Waiver.objects.exists()


def test_waiver_grant_refuses_a_member_without_the_waive_right(org: Org) -> None:
    post = _draft(org)
    with pytest.raises(PermissionDenied, match="waive right on every account"):
        _waive(post, org.manager)


def test_waiver_grant_refuses_a_right_missing_on_one_account(org: Org, chief: User) -> None:
    drop_permission_row(chief, permissions.Perm.WAIVE, org.bluesky)
    chief = User.objects.get(pk=chief.pk)  # fresh permission cache
    post = _draft(org)
    with pytest.raises(PermissionDenied, match="waive right"):
        _waive(post, chief)


def test_waiver_grant_refuses_a_rule_that_cannot_be_waived(org: Org, chief: User) -> None:
    post = _draft(org, text="Document CONFIDENTIEL : ne pas diffuser avant la réunion.")
    with pytest.raises(services.EditorialError, match=r"cannot be waived.*Change the post"):
        _waive(post, chief, rule="confidential.markings", category="editorial")


def test_waiver_grant_refuses_a_category_that_does_not_fit_the_rule(org: Org, chief: User) -> None:
    post = _draft(org)
    with pytest.raises(services.EditorialError, match="own contact details"):
        _waive(post, chief, category="editorial")


def test_waiver_grant_refuses_a_short_justification(org: Org, chief: User) -> None:
    post = _draft(org)
    with pytest.raises(services.EditorialError, match="at least 20 characters"):
        waivers.waiver_grant(
            post=post, rule="pii.email", category="own_contact", justification="ok", by=chief
        )


def test_waiver_grant_refuses_a_rule_without_finding(org: Org, chief: User) -> None:
    post = _draft(org)
    with pytest.raises(services.EditorialError, match=r"no finding of “pii\.phone”"):
        _waive(post, chief, rule="pii.phone")


def test_waiver_grant_refuses_the_same_rule_twice(org: Org, chief: User) -> None:
    post = _draft(org)
    _waive(post, chief)
    with pytest.raises(services.EditorialError, match="already waived on revision 1"):
        _waive(post, chief)


def test_waiver_grant_refuses_an_approved_post(org: Org, chief: User) -> None:
    post = _draft(org)
    _waive(post, chief)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    with pytest.raises(services.TransitionRefused, match="only before approval"):
        _waive(post, chief, rule="lang.tag", category="editorial")


def test_post_submit_is_refused_on_a_blocking_finding_without_waiver(org: Org) -> None:
    post = _draft(org)
    with pytest.raises(services.CharterRefused, match=r"e-mail|email"):
        services.post_submit(post=post, by=org.officer)


def test_waived_blocking_finding_lets_the_post_be_submitted(org: Org, chief: User) -> None:
    post = _draft(org)
    _waive(post, chief)
    report = services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW
    assert report.ok
    assert [f.rule for f in report.findings if f.waived] == ["pii.email"]


def test_submitted_report_records_the_waiver(org: Org, chief: User) -> None:
    post = _draft(org)
    _waive(post, chief)
    services.post_submit(post=post, by=org.officer)
    post.refresh_from_db()
    assert post.current_revision is not None
    finding = next(
        f for f in post.current_revision.check_report["findings"] if f["rule"] == "pii.email"
    )
    assert finding["waived"] is True
    assert finding["waiver"]["by"]["id"] == chief.pk
    assert finding["waiver"]["category"] == "own_contact"


def test_waiver_in_review_updates_the_stored_report(org: Org, chief: User) -> None:
    post = _draft(org, text="Le chômage a baissé de 12 % en 2025 dans notre département.")
    services.post_submit(post=post, by=org.officer)
    _waive(post, chief, rule="gov.figures_source", category="editorial")
    post.refresh_from_db()
    assert post.current_revision is not None
    stored = post.current_revision.check_report["findings"]
    assert [f["waived"] for f in stored if f["rule"] == "gov.figures_source"] == [True]


def test_edit_voids_the_waiver(org: Org, chief: User) -> None:
    post = _draft(org)
    _waive(post, chief)
    services.post_submit(post=post, by=org.officer)
    services.post_update(
        post=post, by=org.officer, base_revision=1, text=EMAIL_TEXT + " Merci.", language="fr"
    )
    post.refresh_from_db()
    # The new revision is not covered: the finding blocks again, the post is back to draft.
    assert post.state == S.DRAFT
    assert [(r.waiver.revision.number, r.voided_by) for r in selectors.waivers_of(post)] == [(1, 2)]
    with pytest.raises(services.CharterRefused):
        services.post_submit(post=post, by=org.officer)


def test_waiver_grant_is_audited(org: Org, chief: User) -> None:
    post = _draft(org)
    _waive(post, chief)
    event = post.events.order_by("-seq").first()
    assert event is not None
    assert event.verb == "waiver_granted"
    assert event.actor == chief
    assert event.data["rule"] == "pii.email"
    assert event.data["category"] == "own_contact"
    assert event.data["justification"] == WHY
    assert event.data["revision"] == 1


def test_waiver_grant_notifies_the_author(org: Org, chief: User) -> None:
    post = _draft(org)
    _waive(post, chief)
    note = Notification.objects.get(kind=Notification.Kind.WAIVER_GRANTED)
    assert note.recipient == org.officer
    assert note.post == post
    assert WHY in note.message


def test_byline_record_lists_the_waivers(org: Org, chief: User) -> None:
    post = _draft(org)
    _waive(post, chief)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.byline_record["waivers"] == [
        {"rule": "pii.email", "category": "own_contact", "by": {"id": chief.pk, "name": str(chief)}}
    ]


def test_waiver_options_offer_only_the_rule_categories(org: Org, chief: User) -> None:
    post = _draft(org, text=EMAIL_TEXT + " CONFIDENTIEL.")
    options = {o.rule: o for o in selectors.waiver_options(selectors.current_report(post))}
    assert [c.value for c in options["pii.email"].categories] == ["own_contact"]
    assert not options["confidential.markings"].waivable

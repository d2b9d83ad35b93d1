"""The approval chains screen: a unit administrator writes a chain and its steps through
``approval_chains`` (one recorded change), sees who would approve a post under it (four
eyes, quorum, deputies), and nobody else gets in."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from editorial.models import ApprovalPolicy, ApprovalStep, AuditEvent, PostTier
from editorial.selectors import settings_rules
from tests.conftest import Org
from tests.factories import add_step, make_delegation, make_policy, make_unit, make_user

K = ApprovalStep.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org: Org) -> User:
    user = make_user(username="chef", first_name="Claire", last_name="Chef")
    membership_create(user=user, unit=org.service, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def client(admin: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin)
    return client


def _step(i: int, **values: Any) -> dict[str, Any]:
    defaults = {"order": i + 1, "levels_up": 1, "mode": "any"}
    return {f"steps-{i}-{k}": v for k, v in {**defaults, **values}.items()}


def _management(total: int, initial: int = 0) -> dict[str, Any]:
    return {
        "steps-TOTAL_FORMS": total,
        "steps-INITIAL_FORMS": initial,
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 20,
    }


def test_settings_chain_create_with_two_steps_is_one_recorded_change(
    org: Org, admin: User, client: Client
) -> None:
    data = {
        "name": "Relecture SICOM puis direction",
        "unit": org.service.pk,
        "reschedule_rule": "keep",
        **_management(2),
        **_step(0, name="Relecture du service", kind=K.ACCOUNT_REVIEWERS),
        **_step(1, name="Direction", kind=K.ROLE_IN_UNIT, role="admin", unit=org.ministry.pk),
    }
    response = client.post(reverse("editorial:settings_chain_create"), data)
    policy = ApprovalPolicy.objects.get()
    assert response["Location"] == reverse("editorial:settings_chain", args=[policy.pk])
    assert [s.name for s in policy.steps.order_by("order")] == [
        "Relecture du service",
        "Direction",
    ]
    event = AuditEvent.objects.get(verb="approval_policy_created")
    assert event.actor == admin
    assert [s["name"] for s in event.data["steps"]] == ["Relecture du service", "Direction"]


def test_settings_chain_step_missing_its_unit_is_refused_in_words_and_kept(
    org: Org, client: Client
) -> None:
    data = {
        "name": "Chaîne incomplète",
        "unit": org.service.pk,
        "reschedule_rule": "keep",
        **_management(1),
        **_step(0, name="Direction", kind=K.ROLE_IN_UNIT, role="admin"),
    }
    response = client.post(reverse("editorial:settings_chain_create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose the unit whose members approve." in page
    assert 'value="Chaîne incomplète"' in page  # nothing typed is lost
    assert not ApprovalPolicy.objects.exists()
    assert not AuditEvent.objects.filter(verb="approval_policy_created").exists()


def test_settings_chain_for_a_unit_the_admin_does_not_run_is_not_offered(
    org: Org, client: Client
) -> None:
    other = make_unit(name="Ailleurs", code="ailleurs", parent=org.ministry)
    data = {"name": "Pirate", "unit": other.pk, "reschedule_rule": "keep", **_management(0)}
    response = client.post(reverse("editorial:settings_chain_create"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ApprovalPolicy.objects.exists()


def test_settings_chains_refused_in_words_to_a_reviewer(org: Org) -> None:
    client = Client()
    client.force_login(org.manager)
    response = client.get(reverse("editorial:settings_chains"))
    assert response.status_code == 403
    assert "configurent ses circuits de validation" in response.content.decode()


def test_settings_chain_edit_removes_a_step_and_records_before_and_after(
    org: Org, admin: User, client: Client
) -> None:
    policy = make_policy(unit=org.service, name="Deux étapes")
    first = add_step(policy, "Relecture", K.ACCOUNT_REVIEWERS)
    second = add_step(policy, "Direction", K.HIERARCHY, levels_up=1)
    data = {
        "name": "Une étape",
        "unit": org.service.pk,
        "reschedule_rule": "keep",
        **_management(2, initial=2),
        **_step(0, id=first.pk, name="Relecture", kind=K.ACCOUNT_REVIEWERS),
        **_step(1, id=second.pk, name="Direction", kind=K.HIERARCHY, DELETE="on"),
    }
    response = client.post(reverse("editorial:settings_chain", args=[policy.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [s.name for s in policy.steps.all()] == ["Relecture"]
    event = AuditEvent.objects.get(verb="approval_policy_changed")
    assert len(event.data["before"]["steps"]) == 2 and len(event.data["after"]["steps"]) == 1
    assert event.data["after"]["name"] == "Une étape"


def test_settings_chain_delete_is_recorded(org: Org, client: Client) -> None:
    policy = make_policy(unit=org.service)
    response = client.post(reverse("editorial:settings_chain_delete", args=[policy.pk]))
    assert response["Location"] == reverse("editorial:settings_chains")
    assert not ApprovalPolicy.objects.exists()
    assert AuditEvent.objects.filter(verb="approval_policy_deleted").count() == 1


def test_settings_chain_of_another_unit_is_not_found(org: Org, client: Client) -> None:
    other = make_unit(name="Ailleurs", code="ailleurs", parent=org.ministry)
    policy = make_policy(unit=other)
    assert client.get(reverse("editorial:settings_chain", args=[policy.pk])).status_code == 404
    delete = reverse("editorial:settings_chain_delete", args=[policy.pk])
    assert client.post(delete).status_code == 404
    assert ApprovalPolicy.objects.filter(pk=policy.pk).exists()


# --- who would approve ---------------------------------------------------------------------


def test_chain_preview_leaves_the_author_out_and_says_so(org: Org, admin: User) -> None:
    membership_create(user=org.officer, unit=org.service, role=Membership.Role.REVIEWER)
    policy = make_policy(unit=org.service)
    add_step(policy, "Relecture", K.ROLE_IN_UNIT, role="reviewer", unit=org.service)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Ouverture.")
    (step,) = settings_rules.chain_preview(policy, post)
    people = {p.user.username: p.is_author for p in step.people}
    assert people == {"manager": False, "officer": True}
    # The officer reviews too, but never their own post: one person left, one needed.
    assert (step.available, step.required, step.short) == (1, 1, False)


def test_chain_preview_quorum_short_of_people_is_flagged(org: Org, admin: User) -> None:
    policy = make_policy(unit=org.service)
    add_step(policy, "Collège", K.ROLE_IN_UNIT, role="reviewer", unit=org.service, quorum=2)
    draft = settings_rules.Draft(
        unit=org.service,
        author_id=org.officer.pk,
        tier=PostTier.STANDARD,
        accounts=type(org.mastodon).objects.filter(pk=org.mastodon.pk),
    )
    (step,) = settings_rules.chain_preview(policy, draft)
    assert (step.required, step.available, step.short) == (2, 1, True)


def test_chain_preview_political_tier_adds_the_builtin_step_and_a_deputy(
    org: Org, admin: User, frozen_now: Any
) -> None:
    policy = make_policy(unit=org.service)
    add_step(policy, "Relecture", K.ACCOUNT_REVIEWERS)
    deputy = make_user(username="adjoint")
    make_delegation(admin, deputy, frozen_now.date(), frozen_now.date())
    draft = settings_rules.Draft(
        unit=org.service,
        author_id=org.officer.pk,
        tier=PostTier.POLITICAL,
        accounts=type(org.mastodon).objects.filter(pk=org.mastodon.pk),
    )
    steps = settings_rules.chain_preview(policy, draft)
    assert [s.step.kind for s in steps] == [K.ACCOUNT_REVIEWERS, K.ELECTORAL]
    heads = {p.user.username: p.deputy_of for p in steps[1].people}
    assert heads == {"chef": None, "adjoint": admin}


def test_settings_chain_page_shows_the_preview_of_a_new_post(
    org: Org, admin: User, client: Client
) -> None:
    policy = make_policy(unit=org.service)
    add_step(policy, "Relecture", K.ACCOUNT_REVIEWERS, mode="all")
    url = reverse("editorial:settings_chain", args=[policy.pk])
    response = client.get(
        url, {"preview-account": str(org.mastodon.pk), "preview-tier": "standard"}
    )
    page = response.content.decode()
    assert '<li data-user="manager">' in page
    # The administrator reviews the account too, but would be the author of that new post:
    # shown, marked, and not counted ("all of them" is the manager alone).
    assert '<li data-user="chef" data-author>' in page
    assert 'data-required="1"' in page


def test_settings_chain_preview_without_a_post_says_what_to_choose(
    org: Org, client: Client
) -> None:
    policy = make_policy(unit=org.service)
    url = reverse("editorial:settings_chain", args=[policy.pk])
    page = client.get(url, {"preview-tier": "standard"}).content.decode()
    assert "Choose one of your posts, or an account." in page


def test_settings_chains_list_queries_do_not_grow_with_chains(org: Org, client: Client) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("editorial:settings_chains")).status_code == 200
        return len(queries)

    def chain(n: int) -> None:
        unit = make_unit(name=f"Bureau {n}", code=f"b{n}", parent=org.service)
        policy = make_policy(unit=unit, name=f"Chaîne {n}")
        add_step(policy, "Relecture", K.ACCOUNT_REVIEWERS)
        add_step(policy, "Direction", K.ROLE_IN_UNIT, role="admin", unit=org.ministry)

    chain(0)
    count()  # warm the process-wide caches (content types) first
    one = count()
    for n in range(1, 20):
        chain(n)
    assert count() == one


def test_chain_preview_of_a_typed_draft_takes_the_tier_the_charter_raises(
    frozen_now: Any, org: Org, admin: User, client: Client
) -> None:
    from datetime import date

    from charter.models import ElectionWindow

    # Frozen on 2 March 2026: inside the pre-electoral period of a vote in June.
    ElectionWindow.objects.create(
        name="Municipales", kind=ElectionWindow.Kind.MUNICIPAL, first_round=date(2026, 6, 14)
    )
    policy = make_policy(unit=org.service)
    add_step(policy, "Relecture", K.ACCOUNT_REVIEWERS)
    drafted = settings_rules.draft_for(
        admin, org.mastodon, PostTier.STANDARD, "Le marché de Noël ouvre samedi."
    )
    assert drafted.draft.tier == PostTier.POLITICAL
    assert "neutrality.election_window" in drafted.raised_by
    steps = settings_rules.chain_preview(policy, drafted.draft)
    assert [s.step.kind for s in steps] == [K.ACCOUNT_REVIEWERS, K.ELECTORAL]
    # No text typed: the tier chosen stands.
    untyped = settings_rules.draft_for(admin, org.mastodon, PostTier.STANDARD, "")
    assert untyped.draft.tier == PostTier.STANDARD
    page = client.get(
        reverse("editorial:settings_chain", args=[policy.pk]),
        {
            "preview-account": str(org.mastodon.pk),
            "preview-tier": "standard",
            "preview-text": "Le marché de Noël ouvre samedi.",
        },
    ).content.decode()
    assert "neutrality.election_window" in page
    assert '<li data-step="2"' in page


def test_settings_chain_step_with_approvals_stays_and_says_why(
    org: Org, admin: User, client: Client
) -> None:
    policy = make_policy(unit=org.service, name="Deux étapes")
    first = add_step(policy, "Relecture", K.ACCOUNT_REVIEWERS)
    second = add_step(policy, "Direction", K.ROLE_IN_UNIT, role="admin", unit=org.service)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Ouverture.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)  # on the first step
    data = {
        "name": "Deux étapes",
        "unit": org.service.pk,
        "reschedule_rule": "keep",
        **_management(2, initial=2),
        **_step(0, id=first.pk, name="Relecture", kind=K.ACCOUNT_REVIEWERS, DELETE="on"),
        **_step(1, id=second.pk, name="Direction", kind=K.ROLE_IN_UNIT, role="admin"),
    }
    data["steps-1-unit"] = org.service.pk
    response = client.post(reverse("editorial:settings_chain", args=[policy.pk]), data)
    assert response.status_code == 200
    assert "Step Relecture has approvals: it cannot be removed." in response.content.decode()
    assert policy.steps.count() == 2
    assert not AuditEvent.objects.filter(verb="approval_policy_changed").exists()


def test_settings_chain_on_a_unit_and_an_account_at_once_is_refused(
    org: Org, client: Client
) -> None:
    data = {
        "name": "Les deux",
        "unit": org.service.pk,
        "account": org.mastodon.pk,
        "reschedule_rule": "keep",
        **_management(0),
    }
    response = client.post(reverse("editorial:settings_chain_create"), data)
    assert "Attach the policy to one social account or one unit." in response.content.decode()
    assert not ApprovalPolicy.objects.exists()


def test_settings_chains_list_names_steps_in_order_with_their_tiers(
    org: Org, client: Client
) -> None:
    policy = make_policy(unit=org.service, name="Chaîne SICOM")
    add_step(policy, "Relecture", K.ACCOUNT_REVIEWERS)
    add_step(policy, "Référent", K.ELECTORAL, tiers=["political"], quorum=2)
    page = client.get(reverse("editorial:settings_chains")).content.decode()
    assert page.index("Relecture") < page.index("Référent")
    assert "(Political)" in page and "2 approvals" in page


def test_settings_chain_preview_of_a_visible_post_says_whether_the_chain_applies(
    org: Org, admin: User, client: Client
) -> None:
    applies = make_policy(unit=org.service, name="SICOM")
    add_step(applies, "Relecture", K.ACCOUNT_REVIEWERS)
    elsewhere = make_policy(unit=make_unit(name="Pôle", code="pole", parent=org.service))
    add_step(elsewhere, "Pôle", K.ACCOUNT_REVIEWERS)
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Ouverture.")
    query = {"preview-post": str(post.pk), "preview-tier": "standard"}
    page = client.get(reverse("editorial:settings_chain", args=[applies.pk]), query)
    body = page.content.decode()
    assert '<li data-user="manager">' in body
    assert "follow another chain today" not in body
    other = client.get(reverse("editorial:settings_chain", args=[elsewhere.pk]), query)
    assert "follow another chain today" in other.content.decode()


def test_settings_chain_saves_the_reschedule_rule_and_its_tolerance(
    org: Org, admin: User, client: Client
) -> None:
    policy = make_policy(unit=org.service, name="Relecture")
    step = add_step(policy, "Relecture", K.ACCOUNT_REVIEWERS)
    page = client.get(reverse("editorial:settings_chain", args=[policy.pk])).content.decode()
    assert "When a publisher moves a post" in page
    assert 'name="reschedule_tolerance_minutes"' in page
    data = {
        "name": "Relecture",
        "unit": org.service.pk,
        "reschedule_rule": "reapprove_if_moved_more_than",
        "reschedule_tolerance_minutes": "120",
        **_management(1, initial=1),
        **_step(0, id=step.pk, name="Relecture", kind=K.ACCOUNT_REVIEWERS),
    }
    response = client.post(reverse("editorial:settings_chain", args=[policy.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    policy.refresh_from_db()
    assert policy.reschedule_rule == "reapprove_if_moved_more_than"
    assert policy.reschedule_tolerance_minutes == 120
    event = AuditEvent.objects.get(verb="approval_policy_changed")
    assert event.actor == admin
    assert event.data["before"]["reschedule_rule"] == "keep"
    assert event.data["after"]["reschedule_tolerance_minutes"] == 120


def test_settings_chain_tolerance_without_its_rule_is_refused_in_words_and_kept(
    org: Org, client: Client
) -> None:
    policy = make_policy(unit=org.service, name="Relecture")
    data = {
        "name": "Relecture",
        "unit": org.service.pk,
        "reschedule_rule": "keep",
        "reschedule_tolerance_minutes": "45",
        **_management(0),
    }
    response = client.post(reverse("editorial:settings_chain", args=[policy.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A tolerance only applies to" in page
    assert 'value="45"' in page  # nothing typed is lost
    policy.refresh_from_db()
    assert policy.reschedule_tolerance_minutes is None
    assert not AuditEvent.objects.filter(verb="approval_policy_changed").exists()

"""The charter again when a post leaves: refused at scheduling, held when an election is
declared or a byline changes, and the way out once the reason is gone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Membership, SocialAccount, User
from accounts.services import membership_create, social_account_changed
from charter import services as charter_services
from charter.counting import bluesky_graphemes
from charter.models import ElectionWindow
from charter.snapshot import with_byline
from editorial import services
from editorial.models import AuditEvent, Notification, Post, PostState
from editorial.services import urgent
from tests.conftest import Org
from tests.factories import make_user

S = PostState
PARIS = ZoneInfo("Europe/Paris")
# A municipal vote on Sunday 15 March 2026. Saturday noon is inside the electoral silence
# however it is counted (from the eve at midnight, or 48 hours before the vote day).
THURSDAY = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
SATURDAY_NOON = datetime(2026, 3, 14, 12, 0, tzinfo=PARIS)
MONDAY = datetime(2026, 3, 16, 10, 0, tzinfo=PARIS)
VOTE = date(2026, 3, 15)


def _approved(org: Org, accounts: list[SocialAccount] | None = None, text: str = "") -> Post:
    post = services.post_create(
        by=org.officer,
        accounts=accounts or [org.mastodon, org.bluesky],
        text=text or "Le guichet unique ouvre lundi à neuf heures.",
    )
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    post.refresh_from_db()
    return post


def _declare(org: Org, by: User) -> charter_services.ElectionWindowSaved:
    window = ElectionWindow(
        name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=VOTE
    )
    return charter_services.election_window_save(window=window, by=by)


@pytest.fixture
def chief(org: Org) -> User:
    """An administrator of the ministry: declares its elections, changes its accounts."""
    chief = make_user(username="chief", first_name="Paul", last_name="Chef")
    membership_create(user=chief, unit=org.ministry, role=Membership.Role.ADMIN)
    return chief


def test_post_schedule_refused_in_the_electoral_silence(org: Org, chief: User) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org)
        _declare(org, chief)
    # The manager's "schedule now" (no time given) during the silence.
    with (
        time_machine.travel(SATURDAY_NOON, tick=False),
        pytest.raises(services.ScheduleRefused, match="electoral silence") as refused,
    ):
        services.post_schedule(post=post, by=org.manager)
    assert "neutrality.electoral_silence" in refused.value.verdict.rules
    post.refresh_from_db()
    assert post.state == S.APPROVED
    assert post.scheduled_at is None


def test_post_schedule_refused_for_a_time_in_the_silence_accepted_after_it(
    org: Org, chief: User
) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org)
        _declare(org, chief)
        with pytest.raises(services.ScheduleRefused, match="electoral silence"):
            services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
        services.post_schedule(post=post, by=org.manager, at=MONDAY)
    post.refresh_from_db()
    assert post.state == S.SCHEDULED
    assert post.scheduled_at == MONDAY


def test_post_schedule_refused_before_the_embargo(org: Org) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = services.post_create(
            by=org.officer,
            accounts=[org.mastodon],
            text="Les résultats de l'enquête seront publiés lundi.",
            requested_publish_at=MONDAY,
            embargo_until=MONDAY,
        )
        services.post_submit(post=post, by=org.officer)
        services.post_approve(post=post, by=org.manager)
        with pytest.raises(services.ScheduleRefused) as refused:
            services.post_schedule(post=post, by=org.manager)  # now: before the embargo
        assert refused.value.verdict.rules == ("embargo.later_than_schedule",)
        services.post_schedule(post=post, by=org.manager, at=MONDAY)
    post.refresh_from_db()
    assert post.state == S.SCHEDULED


def _bluesky_text_at_the_limit(org: Org) -> str:
    """A body that makes exactly 300 graphemes with the account's byline."""
    byline = org.bluesky.render_byline(unit_code="SICOM", initials="JD")
    room = 300 - bluesky_graphemes(with_byline("", byline))
    sentence = "Le guichet unique de la mairie ouvre lundi à neuf heures. "
    body = (sentence * 10)[:room]
    body = body[:-1] + "." if body.endswith(" ") else body
    assert bluesky_graphemes(with_byline(body, byline)) == 300
    return body


def _lengthen_byline(account: SocialAccount, by: User) -> list[str]:
    """What an administrator does in the admin: a longer template, then the re-check."""
    account.byline_template = "— {unit} · Ville de Lyon ^{initials}"  # 16 more graphemes
    account.save()
    return social_account_changed(account=account, by=by, fields=["byline_template"])


def test_post_schedule_refused_when_a_longer_byline_passes_the_bluesky_limit(
    org: Org, chief: User
) -> None:
    """The observed defect: approved at 300 graphemes, then the byline grew; scheduling now
    measures the text with the byline it would be sent with."""
    post = _approved(org, [org.bluesky], _bluesky_text_at_the_limit(org))
    assert _lengthen_byline(org.bluesky, chief) == []  # approved, not scheduled: nothing held
    with pytest.raises(services.ScheduleRefused, match="316 graphemes") as refused:
        services.post_schedule(post=post, by=org.manager)
    assert refused.value.verdict.rules == ("len.bluesky",)
    post.refresh_from_db()
    assert post.state == S.APPROVED


def test_byline_change_holds_a_scheduled_post_and_tells_its_people(org: Org, chief: User) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org, [org.bluesky], _bluesky_text_at_the_limit(org))
        services.post_schedule(post=post, by=org.manager, at=MONDAY)
        held = _lengthen_byline(org.bluesky, chief)
    assert len(held) == 1 and f"#{post.pk}" in held[0] and "316 graphemes" in held[0]
    post.refresh_from_db()
    assert post.state == S.HELD
    assert post.scheduled_at is None  # off the schedule; the audit event keeps the time
    assert "316 graphemes" in post.hold_reason
    event = AuditEvent.objects.get(post=post, verb="held_by_charter")
    assert event.actor == chief
    assert datetime.fromisoformat(event.data["at"]) == MONDAY
    assert event.data["rules"] == ["len.bluesky"]
    assert event.data["cause"]["fields"] == ["byline_template"]
    told = set(
        Notification.objects.filter(post=post, kind=Notification.Kind.CHARTER_HOLD).values_list(
            "recipient__username", flat=True
        )
    )
    assert told >= {"officer", "manager"}  # the author; the approver, who also publishes


def test_byline_change_leaves_scheduled_posts_that_still_fit(org: Org, chief: User) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org, [org.bluesky])
        services.post_schedule(post=post, by=org.manager, at=MONDAY)
        assert _lengthen_byline(org.bluesky, chief) == []
    post.refresh_from_db()
    assert post.state == S.SCHEDULED


def test_election_declared_holds_the_posts_it_concerns_and_lists_them(
    org: Org, chief: User
) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        in_silence = _approved(org)
        services.post_schedule(post=in_silence, by=org.manager, at=SATURDAY_NOON)
        after_vote = _approved(org, text="La piscine municipale rouvre après les travaux.")
        services.post_schedule(post=after_vote, by=org.manager, at=MONDAY)
        saved = _declare(org, chief)
    assert len(saved.held) == 1
    assert f"#{in_silence.pk}" in saved.held[0] and "electoral silence" in saved.held[0]
    in_silence.refresh_from_db()
    after_vote.refresh_from_db()
    assert (in_silence.state, after_vote.state) == (S.HELD, S.SCHEDULED)
    event = AuditEvent.objects.get(post=in_silence, verb="held_by_charter")
    assert event.actor == chief
    assert event.data["cause"]["election"]["name"] == "Municipales 2026"
    assert Notification.objects.filter(
        post=in_silence, kind=Notification.Kind.CHARTER_HOLD, recipient=org.officer
    ).exists()


def test_election_declared_holds_a_standard_post_scheduled_in_the_pre_electoral_period(
    org: Org, chief: User
) -> None:
    """Approved as standard before the election existed: the pre-electoral period asks the
    political tier's approvers (the electoral referent), who never saw it."""
    with time_machine.travel(datetime(2026, 3, 9, 10, tzinfo=PARIS), tick=False):
        post = _approved(org)
        wednesday = datetime(2026, 3, 11, 9, tzinfo=PARIS)  # before any count of the silence
        services.post_schedule(post=post, by=org.manager, at=wednesday)
        saved = _declare(org, chief)
    assert len(saved.held) == 1
    post.refresh_from_db()
    assert post.state == S.HELD
    assert "approved as “Standard”" in post.hold_reason
    assert AuditEvent.objects.get(post=post, verb="held_by_charter").data["rules"] == [
        "approval.tier"
    ]


def test_election_declared_elsewhere_holds_nothing(org: Org) -> None:
    other = org.ministry.children.exclude(pk=org.service.pk).get()
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org)
        services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
        window = ElectionWindow(name="Ailleurs", kind="municipal", unit=other, first_round=VOTE)
        saved = charter_services.election_window_save(
            window=window, by=make_user(is_superuser=True)
        )
    assert saved.held == []
    post.refresh_from_db()
    assert post.state == S.SCHEDULED


def test_held_post_scheduled_again_once_the_silence_is_over(org: Org, chief: User) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org)
        services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
        _declare(org, chief)
    with time_machine.travel(SATURDAY_NOON, tick=False), pytest.raises(services.ScheduleRefused):
        services.post_schedule(post=post, by=org.manager)
    with time_machine.travel(MONDAY, tick=False):
        services.post_schedule(post=post, by=org.manager)
    post.refresh_from_db()
    assert post.state == S.SCHEDULED
    assert post.scheduled_at == MONDAY
    assert post.hold_reason == ""
    verbs = list(post.events.order_by("seq").values_list("verb", flat=True))
    assert verbs[-2:] == ["held_by_charter", "scheduled"]


def test_held_post_edited_by_its_author_goes_back_to_review(org: Org, chief: User) -> None:
    with time_machine.travel(THURSDAY, tick=False):
        post = _approved(org)
        services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
        _declare(org, chief)
        post.refresh_from_db()
        assert post.state == S.HELD
        services.post_update(
            post=post,
            by=org.officer,
            base_revision=1,
            text="Le guichet unique ouvre lundi à dix heures.",
            language="fr",
        )
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW
    assert post.scheduled_at is None


def test_urgent_schedule_now_refused_in_the_electoral_silence(org: Org, chief: User) -> None:
    """Its requested time is after the vote, which is what the charter judged at submission;
    the urgent procedure publishes now, inside the silence: refused."""
    with time_machine.travel(THURSDAY, tick=False):
        post = services.post_create(
            by=org.officer,
            accounts=[org.mastodon],
            text="Coupure d'eau rue de la République lundi matin.",
            requested_publish_at=MONDAY,
        )
        services.post_submit(post=post, by=org.officer)
        _declare(org, chief)
    urgent_publisher = make_user(username="urgent", first_name="Paul", last_name="Urgent")
    membership_create(user=urgent_publisher, unit=org.service, role=Membership.Role.ADMIN)
    with (
        time_machine.travel(SATURDAY_NOON, tick=False),
        pytest.raises(services.ScheduleRefused, match="electoral silence"),
    ):
        urgent.post_publish_urgently(
            post=post,
            by=urgent_publisher,
            justification="La préfecture demande la diffusion immédiate du message.",
        )
    post.refresh_from_db()
    assert post.state == S.IN_REVIEW
    assert not post.posthoc_reviews.exists()


def test_post_schedule_refused_while_an_account_needs_reconnection(org: Org) -> None:
    post = _approved(org)
    SocialAccount.objects.filter(pk=org.mastodon.pk).update(
        needs_reconnection_since=datetime(2026, 3, 1, tzinfo=PARIS),
        reconnection_reason="The server refused the token.",
    )
    with pytest.raises(services.ScheduleRefused, match="must be reconnected") as refused:
        services.post_schedule(post=post, by=org.manager)
    assert refused.value.verdict.rules == ("account.needs_reconnection",)

"""Who is told of what: one table, driven through the services, and the same table in the docs.

Each ``Row`` says which members one event notifies with one kind. The rows of an event are
checked together: the event is driven through the services on a small organisation (the
``org`` fixture and the people of ``World``), and the notifications it wrote must be exactly
the rows' kinds to exactly the rows' people, nothing more. ``docs/architecture.md`` carries the
same rows (event | kind | who is told | e-mailed by default) between its ``who-is-told``
markers; ``test_who_is_told_doc_matches_the_rows`` keeps it from drifting.

To add an event: write its scenario (set up, ``w.mark()``, then the event) and append its
rows to ``ROWS`` (the scenario, the event's words, the kind, the doc's "who is told" and
"e-mailed by default" words, the people expected by their names in ``World``; the rows of
one event share its scenario); then paste the rows' doc lines into the table, in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, OrgUnit, SocialAccount, User
from accounts.services import membership_create
from editorial import emails, services
from editorial.models import (
    ApprovalStep,
    Consultation,
    Notification,
    NotificationPreference,
    Post,
    PostHocReview,
    RescheduleRule,
)
from editorial.services import comments, consultations, posthoc, urgent, waivers
from tests.conftest import Org
from tests.factories import add_step, make_policy, make_unit, make_user

K = Notification.Kind
DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
TEXT = "Les guichets ouvrent lundi à 9 h."
WHY = "Alerte météo rouge : la préfecture demande la diffusion immédiate du message."


# --- the people --------------------------------------------------------------------------


@dataclass
class World:
    """The ``org`` fixture with one more reviewer and one more publisher, so that "the
    approvers" and "the publishers" are not the same people. Scenarios add who they need
    (a director for a second step, a consulted unit, an urgent publisher) with ``add``."""

    org: Org
    people: dict[str, User]
    watermark: int | None = None

    def __getitem__(self, name: str) -> User:
        return self.people[name]

    def add(self, name: str, unit: OrgUnit, role: str) -> User:
        user = make_user(username=name, first_name=name.title(), last_name="Test")
        membership_create(user=user, unit=unit, role=role)
        self.people[name] = user
        return user

    def mark(self) -> None:
        """What the setup notified is not the event's: only notifications after this count."""
        last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.watermark = last or 0

    def notes(self) -> list[Notification]:
        """Every notification written since ``mark``."""
        assert self.watermark is not None, "the scenario must call w.mark() before the event"
        since = Notification.objects.filter(pk__gt=self.watermark)
        return list(since.select_related("recipient", "post"))

    def told(self) -> set[tuple[str, str]]:
        """(kind, name in ``people``) of every notification written since ``mark``."""
        names = {user.pk: name for name, user in self.people.items()}
        return {
            (str(n.kind), names.get(n.recipient_id, n.recipient.username)) for n in self.notes()
        }


@pytest.fixture
def world(org: Org) -> World:
    people = {"author": org.officer, "manager": org.manager, "outsider": org.outsider}
    w = World(org, people)
    # The manager reviews and publishes (the ``org`` fixture); these do one of the two.
    w.add("reviewer", org.service, Membership.Role.REVIEWER)
    w.add("publisher", org.service, Membership.Role.PUBLISHER)
    return w


# --- building blocks of the scenarios -------------------------------------------------------


def _draft(w: World, text: str = TEXT) -> Post:
    return services.post_create(by=w["author"], accounts=[w.org.mastodon], text=text)


def _submitted(w: World) -> Post:
    post = _draft(w)
    services.post_submit(post=post, by=w["author"])
    return post


def _two_steps(w: World) -> None:
    """The service's reviewers, then the ministry's director."""
    w.add("director", w.org.ministry, Membership.Role.REVIEWER)
    policy = make_policy(unit=w.org.ministry, name="Deux niveaux")
    add_step(policy, "Chef de service", ApprovalStep.Kind.HIERARCHY, levels_up=0)
    add_step(policy, "Direction", ApprovalStep.Kind.HIERARCHY, levels_up=1)


def _legal(w: World) -> OrgUnit:
    """A unit to consult: a plain member who answers, and its head."""
    unit = make_unit(name="Affaires juridiques", code="daj", parent=w.org.ministry)
    w.add("jurist", unit, Membership.Role.AUTHOR)
    w.add("legalhead", unit, Membership.Role.ADMIN)
    return unit


def _ask(w: World, post: Post, unit: OrgUnit, *, by: str = "author") -> Consultation:
    (consultation,) = consultations.consultation_request(
        post=post,
        units=[unit],
        question="Le délai de recours est-il exact ?",
        blocking=True,
        deadline=timezone.now() + timedelta(days=2),
        by=w[by],
    )
    return consultation


def _answer(w: World, consultation: Consultation, answer: str, comment: str = "") -> None:
    consultations.consultation_answer(
        consultation=consultation, answer=answer, comment=comment, by=w["jurist"]
    )


def _approved(w: World) -> Post:
    post = _submitted(w)
    services.post_approve(post=post, by=w["manager"])
    return post


def _scheduled(w: World) -> Post:
    post = _approved(w)
    services.post_schedule(post=post, by=w["manager"], at=timezone.now() + timedelta(hours=2))
    post.refresh_from_db()
    return post


def _publishing(w: World) -> Post:
    post = _approved(w)
    services.post_schedule(post=post, by=w["manager"])
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))
    post.refresh_from_db()
    return post


def _chief(w: World) -> User:
    """An administrator of the service: the urgent and waive rights (and so also reviews and
    publishes there)."""
    return w.add("chief", w.org.service, Membership.Role.ADMIN)


def _urgently_published(w: World) -> PostHocReview:
    chief = _chief(w)
    post = services.post_create(
        by=w["author"], accounts=[w.org.mastodon], text="Fermeture des routes ce soir."
    )
    services.post_submit(post=post, by=w["author"])
    return urgent.post_publish_urgently(post=post, by=chief, justification=WHY)


# --- the scenarios: set up, mark, then the one event ------------------------------------------


def submit(w: World) -> None:
    post = _draft(w)
    w.mark()
    services.post_submit(post=post, by=w["author"])


def approve_step(w: World) -> None:
    _two_steps(w)
    post = _submitted(w)
    w.mark()
    services.post_approve(post=post, by=w["manager"])


def approve_last(w: World) -> None:
    post = _submitted(w)
    w.mark()
    services.post_approve(post=post, by=w["manager"])


def request_changes(w: World) -> None:
    _two_steps(w)
    post = _submitted(w)
    services.post_approve(post=post, by=w["manager"])
    w.mark()
    services.post_request_changes(post=post, by=w["director"], comment="Trop long.")


def edit_after_approval(w: World) -> None:
    """Approved by both steps and agreed by a consulted unit, then edited by the author."""
    _two_steps(w)
    unit = _legal(w)
    post = _submitted(w)
    _answer(w, _ask(w, post, unit), Consultation.Answer.AGREE)
    services.post_approve(post=post, by=w["manager"])
    services.post_approve(post=post, by=w["director"])
    post.refresh_from_db()
    assert post.current_revision is not None
    w.mark()
    services.post_update(
        post=post,
        by=w["author"],
        base_revision=post.current_revision.number,
        text="Les guichets ouvrent mardi à 9 h.",
        language="fr",
    )


def move_for_approval(w: World) -> None:
    """Scheduled under a policy that wants every new time approved again, agreed by a
    consulted unit, then moved by a publisher (who does not review)."""
    policy = make_policy(unit=w.org.service, name="Service")
    policy.reschedule_rule = RescheduleRule.ALWAYS
    policy.save()
    unit = _legal(w)
    post = _submitted(w)
    _answer(w, _ask(w, post, unit), Consultation.Answer.AGREE)
    services.post_approve(post=post, by=w["manager"])
    services.post_schedule(post=post, by=w["manager"], at=timezone.now() + timedelta(hours=2))
    w.mark()
    services.post_schedule(post=post, by=w["publisher"], at=timezone.now() + timedelta(hours=5))


def consult(w: World) -> None:
    unit = _legal(w)
    post = _submitted(w)
    w.mark()
    _ask(w, post, unit, by="manager")


def consultation_agreed(w: World) -> None:
    unit = _legal(w)
    consultation = _ask(w, _submitted(w), unit, by="manager")
    w.mark()
    _answer(w, consultation, Consultation.Answer.AGREE)


def consultation_objected(w: World) -> None:
    _two_steps(w)
    unit = _legal(w)
    post = _submitted(w)
    consultation = _ask(w, post, unit)
    services.post_approve(post=post, by=w["manager"])
    w.mark()
    _answer(w, consultation, Consultation.Answer.OBJECT, "Le délai est de deux mois.")


def consultation_releases(w: World) -> None:
    unit = _legal(w)
    post = _submitted(w)
    consultation = _ask(w, post, unit)
    services.post_approve(post=post, by=w["manager"])  # the chain is complete: held by it
    w.mark()
    _answer(w, consultation, Consultation.Answer.AGREE)


def consultation_cancelled(w: World) -> None:
    unit = _legal(w)
    post = _submitted(w)
    consultation = _ask(w, post, unit)
    services.post_approve(post=post, by=w["manager"])
    w.mark()
    consultations.consultation_cancel(consultation=consultation, by=w["author"])


def consultation_overdue(w: World) -> None:
    unit = _legal(w)
    post = _submitted(w)
    consultation = _ask(w, post, unit, by="manager")
    services.post_approve(post=post, by=w["manager"])
    w.mark()
    with time_machine.travel(consultation.deadline + timedelta(minutes=1), tick=False):
        consultations.consultations_escalate_overdue()


def consultation_still_overdue(w: World) -> None:
    unit = _legal(w)
    post = _submitted(w)
    consultation = _ask(w, post, unit, by="manager")
    services.post_approve(post=post, by=w["manager"])
    with time_machine.travel(consultation.deadline + timedelta(minutes=1), tick=False):
        consultations.consultations_escalate_overdue()
    w.mark()
    later = consultation.deadline + consultations.escalation_grace() + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        consultations.consultations_escalate_overdue()


def mention(w: World) -> None:
    post = _submitted(w)
    w.mark()
    comments.comment_add(post=post, by=w["author"], body="@reviewer pouvez-vous relire ?")


def waive(w: World) -> None:
    chief = _chief(w)
    post = _draft(w, "Écrivez-nous à contact@mairie-exemple.fr pour toute question.")
    w.mark()
    waivers.waiver_grant(
        post=post,
        rule="pii.email",
        category="own_contact",
        justification="Adresse de contact officielle du service, publiée sur notre site.",
        by=chief,
    )


def publish_urgently(w: World) -> None:
    chief = _chief(w)
    post = _submitted(w)
    w.mark()
    urgent.post_publish_urgently(post=post, by=chief, justification=WHY)


def _past_a_consultation(w: World) -> Consultation:
    """A blocking consultation asked by the manager, then the urgent procedure past it."""
    chief = _chief(w)
    unit = _legal(w)
    post = _submitted(w)
    consultation = _ask(w, post, unit, by="manager")
    w.mark()
    urgent.post_publish_urgently(
        post=post, by=chief, justification=WHY, acknowledged=[consultation.pk]
    )
    return consultation


def urgent_overrides(w: World) -> None:
    _past_a_consultation(w)


def late_objection(w: World) -> None:
    consultation = _past_a_consultation(w)
    w.mark()
    _answer(w, consultation, Consultation.Answer.OBJECT, "Le délai cité est faux.")


def posthoc_confirmed(w: World) -> None:
    review = _urgently_published(w)
    w.mark()
    posthoc.posthoc_review_complete(review=review, by=w["manager"], outcome="confirmed")


def posthoc_objected(w: World) -> None:
    review = _urgently_published(w)
    w.mark()
    posthoc.posthoc_review_complete(
        review=review, by=w["manager"], outcome="objected", comment="Le ton ne convient pas."
    )


def withdraw(w: World) -> None:
    post = _scheduled(w)
    w.mark()
    services.post_withdraw(post=post, by=w["publisher"], reason="Information déjà diffusée.")


def retract(w: World) -> None:
    post = _publishing(w)
    services.post_record_outcome(post_id=post.pk, published=True, details={})
    w.mark()
    services.post_retract(post=post, by=w["publisher"], reason="Erreur dans l'horaire annoncé.")


def hold_by_charter(w: World) -> None:
    post = _scheduled(w)
    SocialAccount.objects.filter(pk=w.org.mastodon.pk).update(is_active=False)
    w.mark()
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))


def published(w: World) -> None:
    post = _publishing(w)
    w.mark()
    services.post_record_outcome(post_id=post.pk, published=True, details={})


def failed(w: World) -> None:
    post = _publishing(w)
    w.mark()
    services.post_record_outcome(post_id=post.pk, published=False, details={"error": "503"})


def deletion_failed(w: World) -> None:
    retract(w)
    post = Post.objects.get()
    w.mark()
    services.post_record_remote_deletion(
        post_id=post.pk, account=str(w.org.mastodon), deleted=False, error="404"
    )


def held_late(w: World) -> None:
    post = _publishing(w)
    w.mark()
    services.post_record_late_hold(post_id=post.pk, accounts=[str(w.org.mastodon)], late_minutes=45)


# --- the table -------------------------------------------------------------------------------


Scenario = Callable[[World], None]


@dataclass(frozen=True)
class Row:
    scenario: Scenario  # drives the event (the rows of one event share it)
    event: str  # the doc's first column
    kind: Notification.Kind
    told: str  # the doc's "who is told", in words
    emailed: str  # the doc's "e-mailed by default"
    expect: frozenset[str] = field(default_factory=frozenset)  # names in ``World.people``

    def doc_cells(self) -> tuple[str, str, str, str]:
        return (self.event, f"`{self.kind.value}`", self.told, self.emailed)


YES = "yes"
ALWAYS = "yes; always to the author, whatever they chose"
EDIT = "an edit sends a post in review, approved, scheduled or held back to review"
MOVE = (
    "a publisher moves a post to a time its approval policy wants approved again (back to review)"
)
OVERRIDE = "the urgent procedure publishes past an unanswered blocking consultation"
RELEASE = "the consulted unit's agreement releases a post whose chain is complete"
SCHEDULING = "the author, the approvers and who scheduled (as at scheduling)"
FAILURE = f"{SCHEDULING}, and the publishers of its accounts"
POSTHOC = (
    "whoever used the urgent procedure, the author and the other skipped approvers (no longer "
    "owed), never who completed it"
)


def R(  # noqa: N802 (reads as a table)
    scenario: Scenario,
    event: str,
    kind: Notification.Kind,
    told: str,
    *expect: str,
    emailed: str = YES,
) -> Row:
    return Row(scenario, event, kind, told, emailed, frozenset(expect))


ROWS: list[Row] = [
    R(
        submit,
        "a post is submitted for review",
        K.SUBMITTED,
        "the approvers of the first step (deputies included), never the author",
        "manager",
        "reviewer",
    ),
    R(
        approve_step,
        "a step is approved and the next one opens",
        K.SUBMITTED,
        "the approvers of the next step, never the author nor who approved",
        "director",
    ),
    R(
        approve_last,
        "the last step is approved and no blocking consultation waits",
        K.APPROVED,
        "the author",
        "author",
    ),
    R(
        approve_last,
        "the last step is approved and no blocking consultation waits",
        K.READY_TO_SCHEDULE,
        "who can schedule it: the publishers of every one of its accounts (else of any), "
        "never the author nor who approved",
        "publisher",
    ),
    R(
        request_changes,
        "an approver requests changes",
        K.CHANGES_REQUESTED,
        "the author and who approved the earlier steps, never who asked",
        "author",
        "manager",
    ),
    R(
        edit_after_approval,
        EDIT,
        K.REREVIEW,
        "the approvers of the open step and who approved the replaced revision, never the editor",
        "manager",
        "reviewer",
        "director",
    ),
    R(
        edit_after_approval,
        EDIT,
        K.CONSULTATION_REQUESTED,
        "the members of the units that answered an earlier revision, never the editor",
        "jurist",
        "legalhead",
    ),
    R(
        move_for_approval,
        MOVE,
        K.SUBMITTED,
        "the approvers of the open step (deputies included), never the author nor who moved it",
        "manager",
        "reviewer",
    ),
    R(
        move_for_approval,
        MOVE,
        K.CONSULTATION_REQUESTED,
        "the members of the units that answered an earlier revision, never who moved it",
        "jurist",
        "legalhead",
    ),
    R(
        move_for_approval,
        MOVE,
        K.MOVED_TO_REVIEW,
        "the author (who did not move it): who moved it, to when, as which revision",
        "author",
    ),
    R(
        consult,
        "a unit is consulted",
        K.CONSULTATION_REQUESTED,
        "the members of the consulted unit, never who asked nor the author",
        "jurist",
        "legalhead",
    ),
    R(
        consultation_agreed,
        "the consulted unit agrees",
        K.CONSULTATION_ANSWERED,
        "the author and who asked, never who answered",
        "author",
        "manager",
    ),
    R(
        consultation_objected,
        "the consulted unit objects",
        K.CONSULTATION_ANSWERED,
        "the author, who asked, the approvers of the open step and who approved this revision",
        "author",
        "manager",
        "director",
    ),
    R(
        consultation_releases,
        RELEASE,
        K.CONSULTATION_ANSWERED,
        "the author and who asked, never who answered",
        "author",
    ),
    R(consultation_releases, RELEASE, K.APPROVED, "the author", "author"),
    R(
        consultation_releases,
        RELEASE,
        K.READY_TO_SCHEDULE,
        "who can schedule it: the publishers of every one of its accounts (else of any), "
        "never the author nor who answered",
        "manager",
        "publisher",
    ),
    R(
        consultation_cancelled,
        "the last blocking consultation is cancelled on a post whose chain is complete",
        K.APPROVED,
        "the author",
        "author",
    ),
    R(
        consultation_cancelled,
        "the last blocking consultation is cancelled on a post whose chain is complete",
        K.READY_TO_SCHEDULE,
        "who can schedule it: the publishers of every one of its accounts (else of any), "
        "never the author nor who cancelled",
        "manager",
        "publisher",
    ),
    R(
        consultation_overdue,
        "a blocking consultation is unanswered at its deadline",
        K.CONSULTATION_OVERDUE,
        "the consulted unit's head: its administrators (else reviewers, else members)",
        "legalhead",
    ),
    R(
        consultation_still_overdue,
        "a blocking consultation is still unanswered `CONSULTATION_ESCALATION_HOURS` later",
        K.CONSULTATION_OVERDUE,
        "who asked",
        "manager",
    ),
    R(mention, "a comment mentions @members", K.MENTIONED, "the members it mentions", "reviewer"),
    R(waive, "a charter finding is waived", K.WAIVER_GRANTED, "the author", "author"),
    R(
        publish_urgently,
        "a post is published under the urgent procedure",
        K.POSTHOC_DUE,
        "the approvers of the skipped steps (who owe the post-hoc review), never the author "
        "nor who used the procedure",
        "manager",
        "reviewer",
    ),
    R(
        posthoc_confirmed,
        "a post-hoc review confirms the urgent publication",
        K.POSTHOC_CONFIRMED,
        POSTHOC,
        "chief",
        "author",
        "reviewer",
    ),
    R(
        posthoc_objected,
        "a post-hoc review objects to the urgent publication",
        K.POSTHOC_OBJECTED,
        POSTHOC,
        "chief",
        "author",
        "reviewer",
    ),
    R(
        withdraw,
        "a post is withdrawn before publication",
        K.WITHDRAWN,
        f"{SCHEDULING}, never who withdrew it",
        "author",
        "manager",
    ),
    R(
        retract,
        "a published post is retracted",
        K.RETRACTED,
        f"{SCHEDULING}, never who retracted it",
        "author",
        "manager",
    ),
    R(
        hold_by_charter,
        "the charter re-check holds a scheduled post (at its claim, or after an election or "
        "a byline change)",
        K.CHARTER_HOLD,
        FAILURE,
        "author",
        "manager",
        "publisher",
    ),
    R(published, "a post is published", K.PUBLISHED, SCHEDULING, "author", "manager"),
    # Failure alerts (part 3b of #12): their rows go here.
    R(
        failed,
        "a publication fails",
        K.FAILED,
        FAILURE,
        "author",
        "manager",
        "publisher",
        emailed=ALWAYS,
    ),
    R(
        deletion_failed,
        "a retracted post could not be deleted from a network",
        K.FAILED,
        FAILURE,
        "author",
        "manager",
        "publisher",
        emailed=ALWAYS,
    ),
    R(
        held_late,
        "publications are held: later than their account allows",
        K.HELD_LATE,
        FAILURE,
        "author",
        "manager",
        "publisher",
    ),
    R(
        urgent_overrides,
        OVERRIDE,
        K.POSTHOC_DUE,
        "the approvers of the skipped steps (who owe the post-hoc review), never the author "
        "nor who used the procedure",
        "manager",
        "reviewer",
    ),
    R(
        urgent_overrides,
        OVERRIDE,
        K.CONSULTATION_OVERRIDDEN,
        "the members of the consulted unit, never the author, who asked nor who used the procedure",
        "jurist",
        "legalhead",
    ),
    R(
        late_objection,
        "the consulted unit objects after the urgent procedure published past it",
        K.CONSULTATION_ANSWERED,
        "the author, who asked, whoever used the urgent procedure and the approvers who owe "
        "the post-hoc review, never who answered",
        "author",
        "manager",
        "chief",
        "reviewer",
    ),
]

# Kinds declared but not sent yet (their rows arrive with their code).
PENDING_KINDS: set[Notification.Kind] = set()


def _events() -> list[str]:
    return list(dict.fromkeys(row.event for row in ROWS))


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("event", _events())
def test_who_is_told_each_event_notifies_exactly_its_rows(world: World, event: str) -> None:
    """The event's notifications are exactly its rows' kinds to its rows' people, and they
    are emailed by default as the rows say (no preference: every kind is emailed; a kind
    always sent to the author reaches them even when they muted every kind)."""
    rows = [row for row in ROWS if row.event == event]
    rows[0].scenario(world)
    expected = {(str(row.kind), name) for row in rows for name in row.expect}
    assert world.told() == expected
    notes = world.notes()
    muted = NotificationPreference(email_muted=[k for k, _label in emails.kinds()])
    for row in rows:
        ours = [n for n in notes if n.kind == row.kind]
        assert all(emails.wants_email(n, None) for n in ours) == row.emailed.startswith("yes")
        for note in ours:
            own_post = note.post is not None and note.post.author_id == note.recipient_id
            assert emails.wants_email(note, muted) == (own_post and "always" in row.emailed)


def test_who_is_told_rows_of_one_event_share_its_scenario() -> None:
    for event in _events():
        assert len({row.scenario for row in ROWS if row.event == event}) == 1, event


def test_who_is_told_every_kind_has_a_row() -> None:
    assert {row.kind for row in ROWS} == set(K) - PENDING_KINDS


def test_who_is_told_pending_kinds_are_sent_nowhere_yet() -> None:
    """A kind left out of the table must not be sent: once its code lands, so must its row."""
    root = Path(__file__).resolve().parents[2]
    sources = [
        path
        for app in ("editorial", "publishing", "accounts", "charter")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
    ]
    for kind in PENDING_KINDS:
        sent = re.compile(rf"\.{kind.name}\b")
        assert [p.name for p in sources if sent.search(p.read_text())] == [], kind


def _doc_rows() -> list[tuple[str, ...]]:
    text = DOC.read_text()
    block = text.split("<!-- who-is-told:start -->")[1].split("<!-- who-is-told:end -->")[0]
    lines = [line.strip() for line in block.splitlines() if line.strip().startswith("|")]
    header, separator, *body = lines
    assert re.fullmatch(r"\|( *:?-+:? *\|)+", separator)
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "event",
        "notification kind",
        "who is told",
        "e-mailed by default",
    ]
    return [tuple(c.strip() for c in line.strip("|").split("|")) for line in body]


def test_who_is_told_doc_matches_the_rows() -> None:
    assert _doc_rows() == [row.doc_cells() for row in ROWS]

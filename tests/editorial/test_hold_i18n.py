"""A charter hold read in the reader's language whoever caused it, as a short list with the
way out said once; and a draft's chain panel showing the step the charter will add."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, User
from accounts.services import membership_create
from charter import services as charter_services
from charter.models import ElectionWindow
from editorial import emails, services
from editorial.models import Notification, NotificationPreference, Post, PostState
from tests.conftest import Org
from tests.factories import make_user

PARIS = ZoneInfo("Europe/Paris")
MONDAY_BEFORE = datetime(2026, 3, 9, 10, 0, tzinfo=PARIS)
THURSDAY = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
SATURDAY_NOON = datetime(2026, 3, 14, 12, 0, tzinfo=PARIS)
VOTE = date(2026, 3, 15)

# Words of the silence problem and of the way out, in each language.
WORDS = {
    "en": ("during the electoral silence", "At March 14, 2026, noon the charter would refuse"),
    "fr": ("pendant le silence électoral", "la charte le refuserait"),
}
WAY_OUT = {"en": "To publish it: fix what is listed", "fr": "Pour le publier\u00a0: corrigez"}


def _page(client: Client, url: str) -> str:
    return client.get(url).content.decode().replace("&#x27;", "'").replace("&nbsp;", "\u00a0")


def _client(user: User, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _held_by_an_election_declared_in(org: Org, language: str) -> Post:
    """Scheduled in the silence, then an administrator working in ``language`` declares the
    election: the post is held in their words, with two problems (silence and tier)."""
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.ministry, role=Membership.Role.ADMIN)
    with time_machine.travel(THURSDAY, tick=False):
        post = services.post_create(
            by=org.officer, accounts=[org.mastodon], text="Le guichet unique ouvre lundi."
        )
        services.post_submit(post=post, by=org.officer)
        services.post_approve(post=post, by=org.manager)
        services.post_schedule(post=post, by=org.manager, at=SATURDAY_NOON)
        window = ElectionWindow(
            name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=VOTE
        )
        with translation.override(language):
            charter_services.election_window_save(window=window, by=chief)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    return post


@pytest.mark.parametrize(("caused_in", "read_in"), [("fr", "en"), ("en", "fr")])
def test_hold_banner_and_notifications_in_the_readers_language(
    org: Org, caused_in: str, read_in: str
) -> None:
    post = _held_by_an_election_declared_in(org, caused_in)
    assert WORDS[caused_in][0] in post.hold_reason  # stored in the words of its cause
    client = _client(org.officer, read_in)

    with time_machine.travel(THURSDAY, tick=False):
        page = _page(client, reverse("editorial:post", args=[post.pk]))
        notes = _page(client, reverse("editorial:notifications"))
    banner = page.split('id="charter-hold"', 1)[1].split("</div>", 1)[0]
    listed = notes.split('class="charter-hold"', 1)[1].split("</div>", 1)[0]
    for shown in (banner, listed):
        assert WORDS[read_in][0] in shown and WORDS[read_in][1] in shown
        assert WORDS[caused_in][0] not in shown
        # One problem per item, the way out once.
        assert shown.count("<li>") == 2
        assert shown.count(WAY_OUT[read_in]) == 1


def test_hold_history_lists_each_problem_without_doubled_punctuation(org: Org) -> None:
    post = _held_by_an_election_declared_in(org, "fr")
    page = _page(_client(org.officer, "en"), reverse("editorial:post", args=[post.pk]))
    event = page.split('data-verb="held_by_charter"', 1)[1].split("</li>\n    </li>", 1)[0]
    problems = event.split('<ul class="hold-problems">', 1)[1].split("</ul>", 1)[0]
    assert problems.count('<li class="error">') == 2
    assert WORDS["en"][0] in problems
    assert "., " not in event
    assert "Cause" in event and "Election: Municipales 2026" in event


def test_hold_email_in_the_recipients_language(org: Org) -> None:
    post = _held_by_an_election_declared_in(org, "fr")
    note = Notification.objects.get(
        post=post, recipient=org.officer, kind=Notification.Kind.CHARTER_HOLD
    )
    email = emails.compose(note, NotificationPreference(user=org.officer, language="en"))
    assert WORDS["en"][0] in email.body
    assert WORDS["fr"][0] not in email.body
    assert email.body.count("\n- ") == 2


def test_hold_banner_falls_back_to_the_stored_words_without_a_verdict(org: Org) -> None:
    post = _held_by_an_election_declared_in(org, "fr")
    Post.objects.filter(pk=post.pk).update(hold_verdict={}, hold_reason="Mots enregistrés.")
    page = _page(_client(org.officer, "en"), reverse("editorial:post", args=[post.pk]))
    banner = page.split('id="charter-hold"', 1)[1].split("</div>", 1)[0]
    assert "Mots enregistrés." in banner


def _draft(org: Org) -> Post:
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Le guichet unique ouvre lundi."
    )
    # The speaking unit's head, who approves the political step.
    head = make_user(username="head")
    membership_create(user=head, unit=post.unit, role=Membership.Role.ADMIN)
    return post


@pytest.mark.parametrize("language", ["en", "fr"])
def test_draft_chain_panel_shows_the_political_step_inside_an_election_window(
    org: Org, language: str
) -> None:
    ElectionWindow.objects.create(
        name="Municipales 2026", kind="municipal", unit=org.ministry, first_round=VOTE
    )
    with time_machine.travel(MONDAY_BEFORE, tick=False):
        post = _draft(org)
        page = _page(_client(org.officer, language), reverse("editorial:post", args=[post.pk]))
    chain = page.split('id="approval-chain"', 1)[1].split("</ol>", 1)[0]
    assert chain.count('class="step') == 2  # the ordinary review, then the political step
    assert chain.count(' added"') == 1  # only the political step is marked
    political = chain.split(' added"', 1)[1].split("</li>", 1)[0]
    if language == "fr":
        assert "Responsable de l'unité ou référent électoral" in political
        assert "ajoutée à la soumission" in political
        assert "au niveau «\u00a0Politique\u00a0»" in page
    else:
        assert "Unit head or electoral referent" in political
        assert "added at submission" in political
        assert "raise this post to “Political”" in page
    # What submission then does: the same steps, now the post's own.
    with time_machine.travel(MONDAY_BEFORE, tick=False):
        services.post_submit(post=post, by=org.officer)
        page = _page(_client(org.officer, language), reverse("editorial:post", args=[post.pk]))
    chain = page.split('id="approval-chain"', 1)[1].split("</ol>", 1)[0]
    assert chain.count('class="step') == 2 and ' added"' not in chain
    assert 'id="chain-raised"' not in page


def test_draft_chain_panel_unchanged_outside_an_election(org: Org) -> None:
    with time_machine.travel(MONDAY_BEFORE, tick=False):
        post = _draft(org)
        page = _page(_client(org.officer, "en"), reverse("editorial:post", args=[post.pk]))
    chain = page.split('id="approval-chain"', 1)[1].split("</ol>", 1)[0]
    assert chain.count('class="step') == 1
    assert 'id="chain-raised"' not in page and "added at submission" not in page

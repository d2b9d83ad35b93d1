"""Every form, fed arbitrary input (#13): never a 500, and nothing half-written.

Each example posts one form through the test client (a 500 raises in the test) and counts the
rows the form may write: refused, nothing changed; accepted, exactly what it creates. Examples
are few (the suite runs on two cores); the strategies lean on what broke before: NUL,
out-of-range numbers and years, offsets, clock-change nights, very long text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from editorial.models import (
    Approval,
    AuditEvent,
    Consultation,
    Post,
    PostState,
    Revision,
    Waiver,
)
from tests.conftest import Org
from tests.editorial.consultation_setup import Legal, make_legal
from tests.factories import make_user

FEW = settings(
    max_examples=50,
    deadline=None,
    # The fixtures (an org chart) are built once per test and shared by its examples on
    # purpose: each example counts rows before and after itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any text, NUL and control characters included (surrogates cannot be sent as UTF-8).
ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, exclude_categories=["Cs"]), max_size=300)
LONG_TEXT = st.builds(
    lambda piece, n: piece * n, st.text(min_size=1, max_size=4), st.integers(1, 30_000)
)
# Text a form would accept but for one NUL in it (PostgreSQL cannot store it).
WITH_NUL = st.builds(
    lambda a, b: f"{a}\x00{b}", st.text(min_size=12, max_size=40), st.text(min_size=12, max_size=40)
)
TEXT = st.one_of(ANY_TEXT, LONG_TEXT, WITH_NUL)


def _offset() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.just("Z"),
        st.builds(
            lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
            st.sampled_from("+-"),
            st.integers(0, 23),
            st.integers(0, 59),
        ),
    )


# What a datetime field may receive: ISO times of any year with or without an offset, the
# clock-change nights of Europe/Paris, and anything at all.
TIMES = st.one_of(
    st.builds(
        lambda d, offset: d.strftime("%Y-%m-%dT%H:%M") + offset,
        st.datetimes(),
        _offset(),
    ),
    st.sampled_from(
        [
            "9999-12-31T23:59:00-14:00",
            "0001-01-01T00:00:00+14:00",
            "2026-10-25T02:30",
            "2026-03-29T02:30",
            "2026-10-25T02:30+01:00",
        ]
    ),
    ANY_TEXT,
)
IDS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(["99999999999999999999999", "²", "1e3", "0x10", " 1", "1\x00"]),
    ANY_TEXT,
)
FOLDS = st.one_of(st.none(), st.sampled_from(["0", "1", "2", "-1", "\x00", "oui"]))


def _client(user: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Post, Revision, Approval, Consultation, Waiver, AuditEvent)
    }


def _changed(before: dict[str, int]) -> dict[str, int]:
    after = _counts()
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def _data(**fields: Any) -> dict[str, Any]:
    """Form data without the fields the example left out (None)."""
    return {name: value for name, value in fields.items() if value is not None}


@pytest.fixture
def officer_client(org: Org) -> Iterator[Client]:
    yield _client(org.officer)


@pytest.mark.django_db
@FEW
@given(
    text=TEXT,
    account=st.one_of(st.none(), IDS),
    language=st.one_of(st.just("fr"), ANY_TEXT),
    tier=st.one_of(st.none(), st.sampled_from(["standard", "sensitive", "political"]), ANY_TEXT),
    requested=st.one_of(st.none(), TIMES),
    requested_fold=FOLDS,
    embargo=st.one_of(st.none(), TIMES),
    source=st.one_of(st.none(), TEXT),
    thread=st.one_of(st.none(), TEXT),
    token=st.one_of(st.none(), st.uuids().map(str), ANY_TEXT),
)
def test_forms_compose_never_fails_and_writes_all_or_nothing(
    org: Org,
    officer_client: Client,
    text: str,
    account: str | None,
    language: str,
    tier: str | None,
    requested: str | None,
    requested_fold: str | None,
    embargo: str | None,
    source: str | None,
    thread: str | None,
    token: str | None,
) -> None:
    before = _counts()
    response = officer_client.post(
        reverse("editorial:compose"),
        _data(
            accounts=[account if account is not None else str(org.mastodon.pk)],
            text=text,
            language=language,
            tier=tier,
            requested_publish_at=requested,
            requested_publish_at_fold=requested_fold,
            embargo_until=embargo,
            source=source,
            thread=thread,
            creation_token=token,
        ),
    )
    changed = _changed(before)
    if response.status_code == 302 and changed:
        assert changed == {"Post": 1, "Revision": 1, "AuditEvent": 1}
    else:
        # Refused (the form shown again), or the same token sent again (the first post shown).
        assert response.status_code in (200, 302)
        assert changed == {}


@pytest.mark.django_db
@FEW
@given(at=st.one_of(st.none(), TIMES), fold=FOLDS, now=st.booleans())
def test_forms_schedule_never_fails_and_writes_all_or_nothing(
    frozen_now: Any, org: Org, at: str | None, fold: str | None, now: bool
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager, revision=1)
    before = _counts()
    response = _client(org.manager).post(
        reverse("editorial:schedule", args=[post.pk]),
        _data(at=at, at_fold=fold, **({"now": ""} if now else {})),
    )
    post.refresh_from_db()
    changed = _changed(before)
    if post.state == PostState.SCHEDULED:
        assert response.status_code == 302
        assert changed == {"AuditEvent": 1}
    else:
        assert response.status_code in (302, 400)
        assert post.state == PostState.APPROVED and post.scheduled_at is None
        assert changed == {}


@pytest.fixture
def legal(org: Org) -> Legal:
    return make_legal(org)


@pytest.mark.django_db
@FEW
@given(
    unit=st.one_of(st.none(), IDS),
    deadline=st.one_of(st.none(), TIMES),
    fold=FOLDS,
    question=st.one_of(st.none(), TEXT),
    blocking=st.one_of(st.none(), st.sampled_from(["on", "", "\x00"])),
)
def test_forms_consultation_ask_never_fails_and_writes_all_or_nothing(
    frozen_now: Any,
    org: Org,
    legal: Legal,
    unit: str | None,
    deadline: str | None,
    fold: str | None,
    question: str | None,
    blocking: str | None,
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    before = _counts()
    response = _client(org.officer).post(
        reverse("editorial:consultation_ask", args=[post.pk]),
        _data(
            units=[unit if unit is not None else str(legal.unit.pk)],
            deadline=deadline,
            deadline_fold=fold,
            question=question,
            blocking=blocking,
        ),
    )
    changed = _changed(before)
    if changed:
        assert response.status_code == 302
        assert changed["Consultation"] == 1
    else:
        assert response.status_code in (302, 400, 403)


@pytest.mark.django_db
@FEW
@given(
    answer=st.one_of(st.none(), st.sampled_from(["agree", "object"]), ANY_TEXT),
    comment=st.one_of(st.none(), TEXT),
    revision=st.one_of(st.none(), st.just("1"), IDS),
)
@example(answer="agree", comment=None, revision=" 1")  # once read as a refusal by this test
def test_forms_consultation_answer_never_fails_and_writes_all_or_nothing(
    frozen_now: Any,
    org: Org,
    legal: Legal,
    answer: str | None,
    comment: str | None,
    revision: str | None,
) -> None:
    from tests.editorial.consultation_setup import ask

    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    consultation = ask(legal, post)
    before = _counts()
    response = _client(legal.jurist).post(
        reverse("editorial:consultation_answer", args=[consultation.pk]),
        _data(answer=answer, comment=comment, revision=revision),
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    changed = _changed(before)
    if consultation.answer:
        # Answered only on the revision read: "1" as an integer field reads it (" 1" is 1 too).
        assert forms.IntegerField().clean(revision) == 1
        assert changed.get("AuditEvent", 0) >= 1
    else:
        assert changed == {}


EMAIL_TEXT = "Écrivez-nous à contact@mairie-exemple.fr pour toute question sur le dossier."


@pytest.fixture
def chief(org: Org) -> User:
    chief = make_user(username="chief")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    return chief


@pytest.mark.django_db
@FEW
@given(
    rule=st.one_of(st.just("pii.email"), ANY_TEXT),
    category=st.one_of(st.just("own_contact"), ANY_TEXT),
    justification=TEXT,
    prefixed=st.booleans(),
)
def test_forms_waiver_grant_never_fails_and_writes_all_or_nothing(
    org: Org, chief: User, rule: str, category: str, justification: str, prefixed: bool
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=EMAIL_TEXT)
    before = _counts()
    prefix = rule.replace(".", "-") + "-" if prefixed else ""
    response = _client(chief).post(
        reverse("editorial:waiver_grant", args=[post.pk]),
        {"rule": rule, f"{prefix}category": category, f"{prefix}justification": justification},
    )
    assert response.status_code == 302
    changed = _changed(before)
    if Waiver.objects.filter(post=post).exists():
        assert changed == {"Waiver": 1, "AuditEvent": 1} or changed.get("Waiver") == 1
    else:
        assert changed == {}


@pytest.mark.django_db
@FEW
@given(
    month=st.one_of(
        ANY_TEXT, st.builds("{:04d}-{:02d}".format, st.integers(0, 99999), st.integers(0, 99))
    )
)
def test_forms_waivers_report_month_never_fails(org: Org, month: str) -> None:
    reader = User.objects.filter(username="auditor").first() or make_user(
        username="auditor", is_staff=True
    )
    response = _client(reader).get(reverse("editorial:waivers_report"), {"month": month})
    assert response.status_code in (200, 400)
    if response.status_code == 200 and month.strip():
        assert response["Content-Type"].startswith("text/csv")


@pytest.mark.django_db
@FEW
@given(
    action=st.sampled_from(["request_changes", "withdraw"]),
    field=st.sampled_from(["comment", "reason"]),
    words=st.one_of(st.none(), TEXT),
)
def test_forms_reasons_never_fail_and_write_all_or_nothing(
    org: Org, action: str, field: str, words: str | None
) -> None:
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text="Texte sobre.")
    services.post_submit(post=post, by=org.officer)
    user = org.manager if action == "request_changes" else org.officer
    before = _counts()
    response = _client(user).post(
        reverse(f"editorial:{action}", args=[post.pk]), _data(**{field: words})
    )
    assert response.status_code == 302
    post.refresh_from_db()
    changed = _changed(before)
    if post.state == PostState.IN_REVIEW:
        assert changed == {}
    else:
        assert changed.get("AuditEvent", 0) >= 1

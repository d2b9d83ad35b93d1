"""Shared setup for the consultation tests: a legal unit to consult, a post to ask about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Membership, OrgUnit, User
from accounts.services import membership_create
from editorial import services
from editorial.models import Consultation, Post
from editorial.services import consultations
from tests.conftest import Org
from tests.factories import make_unit, make_user


@dataclass
class Legal:
    org: Org
    unit: OrgUnit  # the consulted unit (legal affairs)
    jurist: User  # plain member: answers
    head: User  # administrator of the unit: alerted at the deadline


def make_legal(org: Org) -> Legal:
    unit = make_unit(name="Affaires juridiques", code="daj", parent=org.ministry)
    jurist = make_user(username="jurist", first_name="Léa", last_name="Juriste")
    head = make_user(username="legalhead", first_name="Hugo", last_name="Chef")
    membership_create(user=jurist, unit=unit, role=Membership.Role.AUTHOR)
    membership_create(user=head, unit=unit, role=Membership.Role.ADMIN)
    return Legal(org, unit, jurist, head)


def draft(org: Org, text: str = "Les guichets ouvrent lundi.") -> Post:
    return services.post_create(by=org.officer, accounts=[org.mastodon], text=text)


def submitted(org: Org) -> Post:
    post = draft(org)
    services.post_submit(post=post, by=org.officer)
    return post


def in_days(days: float) -> datetime:
    return timezone.now() + timedelta(days=days)


def ask(
    legal: Legal,
    post: Post,
    *,
    blocking: bool = True,
    by: User | None = None,
    deadline: datetime | None = None,
) -> Consultation:
    (consultation,) = consultations.consultation_request(
        post=post,
        units=[legal.unit],
        question="Le délai de recours est-il exact ?",
        blocking=blocking,
        deadline=deadline or in_days(2),
        by=by or legal.org.officer,
    )
    return consultation


def state(post: Post) -> str:
    post.refresh_from_db()
    return str(post.state)

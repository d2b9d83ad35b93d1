"""The rows ``manage.py generate_load`` writes, batch by batch (benchmarks only).

Nothing here is a service: it writes with ``bulk_create`` what the services would have left,
for a database that is thrown away after the benchmark. Times are spread over two years
before now (and a month after, for what is scheduled); the fields Django stamps itself
(``auto_now``) are stamped here with those times instead (``_stamped``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Membership, OrgUnit, SocialAccount, User
from editorial.models import Approval, Post, PostState, Revision
from editorial.workflow import AuditEntry, audit_many
from publishing.models import Publication, PublicationState

BATCH = 5000
S = PostState
# A realistic mix (percent): most posts went out long ago; few wait in review at a time.
STATES = {
    S.PUBLISHED: 74,
    S.SCHEDULED: 4,
    S.DRAFT: 10,
    S.IN_REVIEW: 1,
    S.CHANGES_REQUESTED: 1,
    S.APPROVED: 2,
    S.WITHDRAWN: 5,
    S.FAILED: 1,
    S.RETRACTED: 1,
    S.HELD: 1,
}
WENT_PAST_REVIEW = {S.APPROVED, S.SCHEDULED, S.PUBLISHED, S.FAILED, S.RETRACTED, S.HELD}
WENT_OUT = {S.PUBLISHED, S.RETRACTED}
WORDS = [
    "guichets",
    "ouverts",
    "lundi",
    "réunion",
    "publique",
    "travaux",
    "voirie",
    "école",
    "cantine",
    "inscriptions",
    "permanence",
    "élus",
    "concertation",
    "budget",
    "participatif",
    "bibliothèque",
    "horaires",
    "été",
    "piscine",
    "alerte",
    "météo",
    "vigilance",
    "orange",
    "collecte",
    "déchets",
    "recensement",
    "marché",
    "de",
    "Noël",
]


@dataclass
class Org:
    accounts: list[SocialAccount]
    users: list[User]
    # Per account index: the ids of its unit's authors and of its reviewers.
    authors: dict[int, list[int]] = field(default_factory=dict)
    reviewers: dict[int, list[int]] = field(default_factory=dict)


def _units(count: int) -> list[OrgUnit]:
    """Ministries, directions, services: one service per account."""
    ministries = OrgUnit.objects.bulk_create(
        OrgUnit(name=f"Ministère {m + 1}", code=f"load-m{m}", kind=OrgUnit.Kind.MINISTRY)
        for m in range(max(1, count // 40))
    )
    directions = OrgUnit.objects.bulk_create(
        OrgUnit(
            name=f"Direction {d + 1}", code=f"load-d{d}", parent=ministries[d % len(ministries)]
        )
        for d in range(max(1, count // 5))
    )
    return OrgUnit.objects.bulk_create(
        OrgUnit(name=f"Service {s + 1}", code=f"load-s{s}", parent=directions[s % len(directions)])
        for s in range(count)
    )


def _roles() -> Iterator[str]:
    """Per service: authors, reviewers, a publisher and an administrator."""
    role = Membership.Role
    cycle = [role.AUTHOR, role.REVIEWER, role.AUTHOR, role.PUBLISHER, role.AUTHOR, role.ADMIN]
    while True:
        yield from cycle


def organisation(rng: random.Random, accounts: int, users: int) -> Org:
    services = _units(accounts)
    made = SocialAccount.objects.bulk_create(
        SocialAccount(
            network="mastodon" if n % 2 == 0 else "bluesky",
            server_url="https://social.load.test" if n % 2 == 0 else "https://pds.load.test",
            handle=f"load{n}" if n % 2 == 0 else f"load{n}.test",
            unit=unit,
        )
        for n, unit in enumerate(services)
    )
    unusable = make_password(None)
    people = User.objects.bulk_create(
        User(
            username=f"load-user-{n}",
            first_name=rng.choice(["Anne", "Marc", "Léa", "Paul", "Nadia", "Yann"]),
            last_name=f"Agent{n}",
            password=unusable,  # the benchmark signs people in with force_login
        )
        for n in range(users)
    )
    org = Org(made, people)
    roles, memberships = _roles(), []
    for n, person in enumerate(people):
        index = n % len(made)
        # Every service has an author and an administrator first, then the mix of roles.
        first = (Membership.Role.AUTHOR, Membership.Role.ADMIN)
        role = first[n // len(made)] if n < len(made) * 2 else next(roles)
        memberships.append(Membership(user=person, unit=services[index], role=role))
        if role in (Membership.Role.AUTHOR, Membership.Role.ADMIN):
            org.authors.setdefault(index, []).append(person.pk)
        if role in (Membership.Role.REVIEWER, Membership.Role.ADMIN):
            org.reviewers.setdefault(index, []).append(person.pk)
    Membership.objects.bulk_create(memberships)
    return org


@contextmanager
def _stamped(*fields: tuple[type[models.Model], str]) -> Iterator[None]:
    """Let the given auto_now/auto_now_add fields keep the times set here."""
    saved = []
    for model, name in fields:
        stamp = model._meta.get_field(name)
        saved.append((stamp, stamp.auto_now, stamp.auto_now_add))  # type: ignore[union-attr]
        stamp.auto_now = stamp.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        for stamp, now, now_add in saved:
            stamp.auto_now, stamp.auto_now_add = now, now_add  # type: ignore[union-attr]


def _post(rng: random.Random, org: Org, now: datetime) -> tuple[Post, int]:
    index = rng.randrange(len(org.accounts))
    state = rng.choices(list(STATES), weights=list(STATES.values()))[0]
    if state in {S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED}:
        created = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 14))
    else:
        created = now - timedelta(minutes=rng.randrange(60 * 24, 60 * 24 * 730))
    scheduled = None
    if state == S.SCHEDULED:
        scheduled = now + timedelta(minutes=rng.randrange(10, 60 * 24 * 30))
    elif state in WENT_PAST_REVIEW:
        scheduled = created + timedelta(hours=rng.randrange(1, 24))
    post = Post(
        state=state,
        author_id=rng.choice(org.authors[index]),
        unit_id=org.accounts[index].unit_id,
        scheduled_at=scheduled,
        created_at=created,
        updated_at=scheduled if scheduled and scheduled < now else created,
    )
    if state in WENT_PAST_REVIEW:  # frozen at scheduling: written with the post, not after
        post.byline_record = _byline(post, org.accounts[index], rng.choice(org.reviewers[index]))
    return post, index


def _text(rng: random.Random, n: int) -> str:
    return f"{' '.join(rng.choices(WORDS, k=rng.randrange(8, 30))).capitalize()} (n° {n})."


def posts(rng: random.Random, org: Org, size: int, *, offset: int) -> None:
    """``size`` posts with their revision, account, approval, publication and audit event."""
    now = timezone.now()
    drawn = [_post(rng, org, now) for _n in range(size)]
    with _stamped((Post, "created_at"), (Post, "updated_at"), (Revision, "created_at")):
        made = Post.objects.bulk_create([post for post, _index in drawn])
        revisions = Revision.objects.bulk_create(
            Revision(
                post=post,
                number=1,
                text=_text(rng, offset + n),
                created_by_id=post.author_id,
                created_at=post.created_at,
                content_hash=hashlib.sha256(f"{offset + n}".encode()).hexdigest(),
                tier="standard",
            )
            for n, post in enumerate(made)
        )
    # One statement for the batch (bulk_update would send a CASE of 5,000 branches).
    first = Revision.objects.filter(post=OuterRef("pk"), number=1).values("pk")[:1]
    Post.objects.filter(pk__in=[p.pk for p in made]).update(current_revision=Subquery(first))
    Post.accounts.through.objects.bulk_create(
        Post.accounts.through(post_id=post.pk, socialaccount_id=org.accounts[index].pk)
        for (post, index) in zip(made, (i for _p, i in drawn), strict=True)
    )
    _past_review(org, made, revisions, [i for _p, i in drawn])
    audit_many(
        [
            AuditEntry(
                post,
                "published" if post.state in WENT_OUT else "created",
                None,
                "",
                post.state,
                None,
                {},
            )
            for post in made
        ]
    )


def _past_review(org: Org, made: list[Post], revisions: list[Revision], indexes: list[int]) -> None:
    approvals: list[Approval] = []
    parts: list[Publication] = []
    for post, revision, index in zip(made, revisions, indexes, strict=True):
        if post.state not in WENT_PAST_REVIEW:
            continue
        account = org.accounts[index]
        record = post.byline_record
        approver = record["approvers"][0]["id"]
        approvals.append(
            Approval(
                post=post,
                revision=revision,
                approver_id=approver,
                content_hash=revision.content_hash,
            )
        )
        if post.state in WENT_OUT:
            parts.append(_publication(post, revision, account, record))
    Approval.objects.bulk_create(approvals)
    Publication.objects.bulk_create(parts)


def _byline(post: Post, account: SocialAccount, approver: int) -> dict[str, Any]:
    line = f"— {account.unit_id} ^AG"
    return {
        "unit": str(post.unit_id),
        "author": {"id": post.author_id, "initials": "AG"},
        "approvers": [{"id": approver}],
        "bylines": {str(account.pk): line},
        "signatures": [{"account": str(account), "byline": line}],
    }


def _publication(
    post: Post, revision: Revision, account: SocialAccount, record: dict[str, Any]
) -> Publication:
    line = record["bylines"][str(account.pk)]
    assert post.scheduled_at is not None  # every post that went out was scheduled
    return Publication(
        post=post,
        account=account,
        state=PublicationState.PUBLISHED,
        text=f"{revision.text}\n{line}",
        byline=line,
        language="fr",
        byline_record=record,
        scheduled_by_id=post.author_id,
        due_at=post.scheduled_at,
        next_attempt_at=post.scheduled_at,
        published_at=post.scheduled_at,
        remote_url=f"{account.server_url}/@{account.handle}/{post.pk}",
        remote_id=str(post.pk),
    )

"""What the public pages show ("Qui publie ici ?"): reads only, for anyone, signed in or not.

A post is public once it is published, or once one of its publications went out (a post
that failed on another network); a post retracted after that keeps its page, with the
retraction notice instead of its text. Nothing else is ever read here: no draft, no
revision, no credential, no comment.

People appear by their initials, their function and their unit; by their name only if they
agreed (``User.public_name_consent``, read now: consent withdrawn hides the name at once).
The names frozen in a post's byline record are never shown: only its ids, initials and
dates are read from it. A waiver shows its rule and category, not the justification, which
was written for the reviewers and may name people who did not agree to be named.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import SocialAccount, User
from charter.models import CharterVersion
from charter.rules import RULES
from charter.selectors import charter_version_for_account
from charter.waivers import WaiverCategory
from editorial.models import AuditEvent, Post
from editorial.models.states import PostState
from publishing.models import Publication, PublicationState

LATEST_POSTS = 20


@dataclass(frozen=True)
class PublicPerson:
    initials: str
    name: str  # empty unless they agreed to be named
    job_title: str
    unit_code: str = ""
    unit_name: str = ""


def public_person(
    user: User | None, *, initials: str, unit_code: str = "", unit_name: str = ""
) -> PublicPerson:
    agreed = user is not None and user.public_name_consent
    return PublicPerson(
        initials=initials or (user.get_initials() if user is not None else ""),
        name=str(user.get_full_name()) if agreed and user is not None else "",
        job_title=user.job_title if user is not None else "",
        unit_code=unit_code,
        unit_name=unit_name,
    )


def _users(ids: Iterable[Any]) -> dict[int, User]:
    wanted = {int(i) for i in ids if isinstance(i, int) or str(i).isdigit()}
    return {u.pk: u for u in User.objects.filter(pk__in=wanted)} if wanted else {}


def public_posts() -> QuerySet[Post]:
    """Published (some of it, at least), or retracted after publication."""
    published = Publication.objects.filter(post=OuterRef("pk"), state=PublicationState.PUBLISHED)
    posts: QuerySet[Post] = Post.objects.filter(
        Q(state__in=[PostState.PUBLISHED, PostState.RETRACTED]) | Exists(published)
    )
    return posts


def public_post_or_404(pk: int) -> Post:
    post = public_posts().select_related("unit").filter(pk=pk).first()
    if post is None:
        raise Http404
    return post


@dataclass(frozen=True)
class Approver:
    person: PublicPerson
    at: datetime | None
    step: str
    # Whom they approved for, when they approved as someone's deputy (a delegation).
    deputy_for: PublicPerson | None = None


@dataclass(frozen=True)
class Waived:
    rule: str
    title: str
    category: str


@dataclass(frozen=True)
class Retraction:
    at: datetime | None
    reason: str


@dataclass
class PostPage:
    post: Post
    speaker: PublicPerson
    approvers: list[Approver]
    charter_label: str
    charter_version: CharterVersion | None
    waivers: list[Waived]
    urgent: bool
    retraction: Retraction | None
    # Per account, its published parts in order (the text as sent and its remote link).
    accounts: list[tuple[SocialAccount, list[Publication]]] = field(default_factory=list)


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _approvers(record: dict[str, Any], users: dict[int, User]) -> list[Approver]:
    def person(pk: Any) -> PublicPerson:
        user = users.get(pk)
        return public_person(user, initials=user.get_initials() if user else "?")

    approvers = []
    for entry in record.get("approvers") or []:
        principal = _principal(entry)
        approvers.append(
            Approver(
                person=person(entry.get("id")),
                at=_at(entry.get("at")),
                step=str(entry.get("step") or ""),
                deputy_for=None if principal is None else person(principal),
            )
        )
    return approvers


def _record_users(record: dict[str, Any]) -> dict[int, User]:
    """The people a byline record names by id: author, approvers, whom deputies stood in for."""
    approvers = record.get("approvers") or []
    return _users(
        [
            (record.get("author") or {}).get("id"),
            *(a.get("id") for a in approvers),
            *(_principal(a) for a in approvers),
        ]
    )


def _principal(entry: dict[str, Any]) -> int | None:
    """The id of the member an approver stood in for, if they approved as a deputy."""
    deputy_of = entry.get("as_deputy_of")
    value = deputy_of.get("id") if isinstance(deputy_of, dict) else None
    return value if isinstance(value, int) else None


def _waivers(record: dict[str, Any]) -> list[Waived]:
    labels = dict(WaiverCategory.choices)
    return [
        Waived(
            rule=str(w.get("rule", "")),
            title=str(RULES[w["rule"]].title) if w.get("rule") in RULES else "",
            category=str(labels.get(w.get("category", ""), "")),
        )
        for w in record.get("waivers") or []
    ]


def _retraction(post: Post) -> Retraction | None:
    if post.state != PostState.RETRACTED:
        return None
    event = AuditEvent.objects.filter(post=post, verb="retracted").order_by("-seq").first()
    if event is None:
        return Retraction(at=None, reason="")
    return Retraction(at=event.created_at, reason=str(event.data.get("reason", "")))


def post_page(post: Post) -> PostPage:
    record: dict[str, Any] = post.byline_record or {}
    author = record.get("author") or {}
    users = _record_users(record)
    version_id = record.get("charter_version_id")
    version = (
        CharterVersion.objects.select_related("charter").filter(pk=version_id).first()
        if isinstance(version_id, int)
        else None
    )
    page = PostPage(
        post=post,
        speaker=public_person(
            users.get(int(author.get("id") or 0)),
            initials=str(author.get("initials", "")),
            unit_code=str(record.get("unit", post.unit.code.upper())),
            unit_name=str(record.get("unit_name", post.unit.name)),
        ),
        approvers=_approvers(record, users),
        charter_label=str(record.get("charter", "")),
        charter_version=version,
        waivers=_waivers(record),
        urgent=bool(record.get("urgent")),
        retraction=_retraction(post),
    )
    published = (
        Publication.objects.filter(post=post, state=PublicationState.PUBLISHED)
        .select_related("account")
        .order_by("account_id", "part")
    )
    grouped: dict[int, tuple[SocialAccount, list[Publication]]] = {}
    for publication in published:
        grouped.setdefault(publication.account_id, (publication.account, []))[1].append(publication)
    page.accounts = list(grouped.values())
    return page


@dataclass
class AccountPage:
    account: SocialAccount
    charter_version: CharterVersion | None
    speakers: list[PublicPerson]
    latest: list[Publication]


def _speakers(account: SocialAccount) -> list[PublicPerson]:
    """Who signed what the account published: the key to the initials of its bylines."""
    pairs = (
        public_posts()
        .filter(publications__account=account, publications__state=PublicationState.PUBLISHED)
        .values_list("author_id", "unit__code", "unit__name")
        .distinct()
    )
    rows = sorted(set(pairs))
    users = _users(author for author, _code, _name in rows)
    people = [
        public_person(users.get(author), initials="", unit_code=code.upper(), unit_name=name)
        for author, code, name in rows
    ]
    return sorted(people, key=lambda p: (p.unit_code, p.initials))


def account_page(account: SocialAccount) -> AccountPage:
    latest = list(
        Publication.objects.filter(account=account, state=PublicationState.PUBLISHED, part=0)
        .select_related("post")
        .order_by("-published_at")[:LATEST_POSTS]
    )
    return AccountPage(
        account=account,
        charter_version=charter_version_for_account(account),
        speakers=_speakers(account),
        latest=latest,
    )


def public_accounts() -> QuerySet[SocialAccount]:
    return SocialAccount.objects.filter(is_active=True).select_related("unit")


def public_account_or_404(pk: int) -> SocialAccount:
    """Any account that exists: a post published on an account since deactivated still
    links to it."""
    account = SocialAccount.objects.select_related("unit").filter(pk=pk).first()
    if account is None:
        raise Http404
    return account

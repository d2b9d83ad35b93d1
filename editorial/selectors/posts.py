"""Reads of posts that depend on who asks. Every view fetches posts through these (404
otherwise); the review queue and the approval chain as a user sees it."""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts import permissions
from accounts.models import Membership, SocialAccount
from editorial import policies
from editorial.models import (
    EDITABLE_STATES,
    Approval,
    AuditEvent,
    Consultation,
    Post,
    PostState,
    PostTier,
)
from editorial.policies.memo import memoised, remembered
from editorial.selectors.review_scope import review_scope
from editorial.snapshots import charter_check, snapshot_for_revision

if TYPE_CHECKING:
    from accounts.models import User


def visible_account_ids(user: User) -> set[int]:
    # One read for every grant (guardian's any_perm), not one per grant: the search page
    # asks twice a request (docs/benchmarks.md "Pages at 100,000 posts").
    accounts = permissions.accounts_for(user, list(permissions.Perm))
    return set(accounts.values_list("pk", flat=True))


def member_unit_ids(user: User) -> QuerySet[Membership, int]:
    ids = Membership.objects.filter(user=user, user__is_active=True)
    return ids.values_list("unit_id", flat=True)


def posts_visible_to(user: User, account_ids: Collection[int] | None = None) -> QuerySet[Post]:
    """Posts the user wrote, that target an account on which they hold any grant, or that
    one of their units is consulted on (to read them, not to approve or edit them).
    ``account_ids``: ``visible_account_ids(user)``, when the caller has read it already."""
    # One semi-join on the union of the three ways to see a post, not a join ORed with them:
    # one row per post (no DISTINCT), and PostgreSQL estimates it from the user's own posts.
    # The OR made it guess two thirds of the table visible and rank every post matching a
    # searched word before keeping the visible ones (EXPLAIN at 100,000 posts: 46,000
    # ranked, 1.5 to 5 s; see docs/benchmarks.md "Pages at 100,000 posts").
    if account_ids is None:
        account_ids = visible_account_ids(user)
    on_accounts = Post.accounts.through.objects.filter(
        socialaccount_id__in=account_ids
    ).values_list("post_id", flat=True)
    written = Post.objects.filter(author=user).order_by().values_list("pk", flat=True)
    consulted = (
        Consultation.objects.active()
        .filter(unit__in=member_unit_ids(user))
        .order_by()
        .values_list("post_id", flat=True)
    )
    posts: QuerySet[Post] = (
        Post.objects.filter(pk__in=on_accounts.union(written, consulted))
        .select_related("author", "unit", "current_revision")
        .prefetch_related("accounts")
    )
    return posts


def post_get_for(user: User, pk: int) -> Post:
    """A post the user may see. Also, without any grant on its accounts: a post in review to
    whoever approves one of its steps (a group member, a deputy), a post to its approvers, and
    an urgent publication to whoever owes its post-hoc review."""
    post: Post | None = posts_visible_to(user).filter(pk=pk).first()
    if post is not None:
        return post
    post = Post.objects.select_related("author", "unit", "current_revision").filter(pk=pk).first()
    if post is None:
        raise Http404
    if post.approvals.filter(approver=user).exists():
        return post
    if post.state == PostState.IN_REVIEW and policies.approves_any_step(post, user):
        return post
    if policies.owes_posthoc(post, user):
        return post
    raise Http404


def may_see(user: User, post: Post) -> bool:
    """Whether ``user`` may see ``post``: ``post_get_for`` finds it. A selector rather than a
    policy: visibility is this module's query (policies import no selector, selectors read
    policies), and a copy of it in ``editorial.policies`` could drift from what views show."""
    try:
        post_get_for(user, post.pk)
    except Http404:
        return False
    return True


@dataclass(frozen=True)
class QueueItem:
    post: Post
    step: policies.StepStatus
    as_deputy_of: User | None


def review_queue(user: User) -> list[QueueItem]:
    """Posts whose open step this user may approve now (deputies included), never their own.

    Resolves each post's chain: fine for the posts in review of one administration; an index
    of approvers per step would be the next move if this list grows to thousands.
    """
    candidates = (
        Post.objects.filter(state=PostState.IN_REVIEW)
        .exclude(author=user)
        .select_related("author", "unit", "current_revision")
        # Read for every candidate at once: the chains below use these (no query per post).
        .prefetch_related(
            Prefetch("accounts", queryset=SocialAccount.objects.select_related("unit")),
            Prefetch(
                "approvals",
                queryset=Approval.objects.select_related(
                    "approver", "as_deputy_of", "step"
                ).order_by("created_at", "pk"),
            ),
        )
        .order_by("updated_at")
    )
    scope = review_scope(user)  # a cheap cut first: the chain is resolved per candidate
    if scope is not None:
        candidates = candidates.filter(scope)
    items = []
    with memoised():  # the posts share accounts: their policies and reviewers, read once
        for post in candidates:
            statuses = policies.chain_status(post)
            step = policies.open_step(statuses)
            if step is None or policies.approval_refusal(post, user, statuses) is not None:
                continue
            principal = step.rights.get(user.pk)
            deputy_of = remembered(("user", principal), partial(_user, principal))
            items.append(QueueItem(post=post, step=step, as_deputy_of=deputy_of))
    return items


def _user(pk: int | None) -> User | None:
    return get_user_model().objects.get(pk=pk) if pk else None


@dataclass(frozen=True)
class ChainView:
    steps: list[tuple[policies.StepStatus, str]]  # each step and who approves it, in words
    # Approvals given to earlier revisions: kept for the record, they no longer count.
    earlier: list[Approval]
    refusal: str | None  # why this user may not approve now (None: may, or has no say)
    user_deputy_of: User | None
    # A draft the charter will raise at submission: the tier's label, and the numbers of
    # the steps that tier adds (shown as added at submission). "" and empty otherwise.
    raised_to: str = ""
    added: frozenset[int] = frozenset()


def approval_chain(post: Post, user: User) -> ChainView:
    raised = _tier_at_submission(post)
    if raised is None:
        statuses = policies.chain_status(post)
    else:
        # The chain the post will follow once submitted: the tier the charter gives it now.
        preview = copy.copy(post)
        preview.tier = raised[0]
        statuses = policies.chain_status(preview)
    counted = {a.pk for s in statuses for a in s.approvals}
    earlier = [
        a
        for a in post.approvals.select_related(
            "approver", "as_deputy_of", "revision", "step"
        ).order_by("created_at", "pk")
        if a.pk not in counted
    ]
    refusal = None
    deputy_of = None
    has_say = post.author_id == user.pk or any(user.pk in s.rights for s in statuses)
    if post.state == PostState.IN_REVIEW and has_say:
        refusal = policies.approval_refusal(post, user, statuses)
        step = policies.open_step(statuses)
        principal = step.rights.get(user.pk) if step else None
        if principal:
            deputy_of = get_user_model().objects.filter(pk=principal).first()
    return ChainView(
        steps=[(s, policies.describe(s.step, post)) for s in statuses],
        earlier=earlier,
        refusal=refusal,
        user_deputy_of=deputy_of,
        raised_to=str(PostTier(raised[0]).label) if raised else "",
        added=frozenset(s.number for s in statuses if raised and not s.step.applies_to(post.tier)),
    )


def _tier_at_submission(post: Post) -> tuple[PostTier, list[str]] | None:
    """For a draft, the higher tier the charter would give it if submitted now (inside an
    election window: political), as ``services.post_submit`` does; None otherwise. The
    same check as the compose page's, at the post's requested time."""
    revision = post.current_revision
    if post.state not in EDITABLE_STATES or revision is None:
        return None
    report = charter_check(
        snapshot_for_revision(post, revision),
        unit=post.unit,
        accounts=list(post.accounts.all()),
        waived=frozenset(revision.waivers.values_list("rule", flat=True)),
    )
    return policies.charter_tier(post, report)


def post_history(post: Post) -> QuerySet[AuditEvent]:
    return post.events.select_related("actor", "on_behalf_of").order_by("created_at", "pk")

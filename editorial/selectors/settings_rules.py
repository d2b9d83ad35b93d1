"""Reads of the rules screens: the chains and charters a member may configure, and who would
approve a post under a chain (the preview shown while editing it).

A unit's administrators configure the unit and the units below it (a superuser, everything);
the organisation-wide charter is a superuser's alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from accounts import permissions
from accounts.models import OrgUnit, SocialAccount, User
from charter.models import Charter, CharterVersion
from editorial.models import ApprovalPolicy, ApprovalStep, Post, PostTier
from editorial.policies.approvers import approver_rights
from editorial.policies.chains import (
    charter_tier,
    default_step,
    policy_for_account,
    political_default_step,
)
from editorial.services.revisions import speaking_unit
from editorial.snapshots import build_snapshot, charter_check


def may_configure(user: User) -> bool:
    """Whether the user administers any unit (the rules screens are theirs)."""
    return permissions.units_managed_by(user).exists()


def chains_manageable_by(user: User) -> QuerySet[ApprovalPolicy]:
    units = permissions.units_managed_by(user)
    steps = ApprovalStep.objects.select_related("unit", "group").order_by("order", "pk")
    return (
        ApprovalPolicy.objects.filter(Q(unit__in=units) | Q(account__unit__in=units))
        .select_related("unit", "account__unit")
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("name", "pk")
    )


def charters_manageable_by(user: User) -> QuerySet[Charter]:
    units = permissions.units_managed_by(user)
    scope = Q(unit__in=units) | Q(account__unit__in=units)
    if user.is_active and user.is_superuser:
        scope |= Q(unit__isnull=True, account__isnull=True)
    return (
        Charter.objects.filter(scope)
        .select_related("unit", "account__unit")
        .annotate(latest=Max("versions__number"), version_count=Count("versions"))
        .order_by("name", "pk")
    )


def charter_versions(charter: Charter) -> QuerySet[CharterVersion]:
    return charter.versions.select_related("created_by").order_by("-number")


# --- who would approve ---------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A post not yet written, as the approver rules read one: its speaking unit, author,
    tier and accounts (``approver_rights`` reads nothing else)."""

    unit: OrgUnit
    author_id: int
    tier: str
    accounts: QuerySet[SocialAccount]
    pk: None = None


@dataclass(frozen=True)
class Person:
    user: User
    deputy_of: User | None = None  # standing in for this member (a delegation active today)
    is_author: bool = False  # four-eyes: never approves their own post


@dataclass(frozen=True)
class PreviewStep:
    number: int
    step: ApprovalStep
    people: list[Person] = field(default_factory=list)
    required: int = 1  # distinct approvals the step needs
    available: int = 0  # members who could give them, the author left out

    @property
    def short(self) -> bool:
        """Fewer people than approvals needed: a post would wait here forever."""
        return self.available < self.required


def preview_steps(policy: ApprovalPolicy) -> list[ApprovalStep]:
    """The chain's steps as ``policy_for`` composes them: the political tier's built-in step
    added when the chain has none for that tier."""
    steps = list(policy.steps.all())
    political = any(
        s.kind == ApprovalStep.Kind.ELECTORAL or PostTier.POLITICAL in (s.tiers or [])
        for s in steps
    )
    return steps if political else [*steps, political_default_step()]


def chain_preview(policy: ApprovalPolicy, post: Post | Draft) -> list[PreviewStep]:
    """Each step of ``policy`` that applies to the post's tier, with who could approve it."""
    steps = [s for s in preview_steps(policy) if s.applies_to(post.tier)] or [default_step()]
    # ``approver_rights`` reads only what a Draft carries (see Draft).
    rights = [approver_rights(step, post) for step in steps]  # type: ignore[arg-type]
    ids = {uid for r in rights for pair in r.items() for uid in pair if uid is not None}
    users = User.objects.in_bulk(ids)
    preview = []
    for number, (step, right) in enumerate(zip(steps, rights, strict=True), start=1):
        people = [
            Person(
                user=users[uid],
                deputy_of=users[principal] if principal is not None else None,
                is_author=uid == post.author_id,
            )
            for uid, principal in sorted(right.items(), key=lambda item: str(users[item[0]]))
        ]
        principals = {p or u for u, p in right.items()} - {post.author_id}
        preview.append(
            PreviewStep(
                number=number,
                step=step,
                people=people,
                required=_required(step, principals),
                available=len(principals),
            )
        )
    return preview


def _required(step: ApprovalStep, principals: set[int]) -> int:
    """As ``policies.review.chain_status`` counts it."""
    if step.quorum:
        return step.quorum
    if step.mode == ApprovalStep.Mode.ALL:
        return max(len(principals), 1)
    return 1


@dataclass(frozen=True)
class DraftTier:
    """The tier a new post would be reviewed at: the one chosen, or the charter's when its
    findings on the typed text demand more (an election window: political)."""

    draft: Draft
    raised_by: list[str] = field(default_factory=list)  # the rules that raised it


def draft_for(user: User, account: SocialAccount, tier: str, text: str) -> DraftTier:
    """A new post by ``user`` on ``account``, as submission would see it: the speaking unit
    of its byline, and the tier the charter raises it to on ``text`` (none typed: as chosen)."""
    unit = speaking_unit(user, [account])
    draft = Draft(
        unit=unit,
        author_id=user.pk,
        tier=tier,
        accounts=SocialAccount.objects.filter(pk=account.pk),
    )
    if not text.strip():
        return DraftTier(draft)
    snapshot = build_snapshot(text=text, language="fr", accounts=[account], unit=unit, author=user)
    report = charter_check(snapshot, unit=unit, accounts=[account])
    # ``charter_tier`` reads only the post's tier, which a Draft carries.
    raised = charter_tier(draft, report)  # type: ignore[arg-type]
    if raised is None:
        return DraftTier(draft)
    needed, rules = raised
    return DraftTier(replace(draft, tier=needed.value), raised_by=rules)


def chain_applies(policy: ApprovalPolicy, accounts: list[SocialAccount]) -> bool:
    """Whether the post's accounts follow this chain today (else the preview shows what the
    chain would ask if it applied)."""
    return bool(accounts) and all(policy_for_account(a) == policy for a in accounts)

"""What the records export reads about the posts published on one account (``records``).

The posts come in batches of ``BATCH`` ids (keyset on the post id, never an OFFSET), each
batch read in a fixed number of queries whatever its size: the posts with their unit, author
and scheduler, then one prefetch per relation. A year of a busy account never sits in
memory at once; the test asserts 1 and 20 posts cost the same queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import SocialAccount, User
from charter.models import CharterVersion
from editorial.models import Approval, Post, Revision, Waiver
from publishing.models import Publication, PublicationState

BATCH = 200


@dataclass(frozen=True)
class RecordsRange:
    """One account's publications from ``start`` to ``end``, both days included, in the
    site's time zone (``TIME_ZONE``: the days the officers count in)."""

    account: SocialAccount
    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_default_timezone()
        first = datetime.combine(self.start, time.min, tzinfo=zone)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return first, after


def _published(span: RecordsRange) -> QuerySet[Publication]:
    first, after = span.bounds()
    return Publication.objects.filter(
        account=span.account,
        state=PublicationState.PUBLISHED,
        published_at__gte=first,
        published_at__lt=after,
    )


def post_id_batches(span: RecordsRange, size: int = BATCH) -> Iterator[list[int]]:
    """The ids of the posts with a part published in the range, in id order, by batches."""
    last = 0
    while True:
        ids = list(
            _published(span)
            .filter(post_id__gt=last)
            .order_by("post_id")
            .values_list("post_id", flat=True)
            .distinct()[:size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def posts_batch(ids: list[int], account: SocialAccount) -> list[Post]:
    """The posts with everything the bundle says of them, in a fixed number of queries."""
    approvals = Approval.objects.select_related("approver", "as_deputy_of", "step", "revision")
    waivers = Waiver.objects.select_related("granted_by", "revision")
    publications = Publication.objects.filter(account=account).order_by("part")
    revisions = Revision.objects.select_related("created_by").prefetch_related("media")
    return list(
        Post.objects.filter(pk__in=ids)
        .select_related("author", "unit", "scheduled_by", "current_revision")
        .prefetch_related(
            Prefetch("revisions", queryset=revisions.order_by("number")),
            Prefetch("approvals", queryset=approvals.order_by("created_at", "pk")),
            Prefetch("waivers", queryset=waivers.order_by("created_at", "pk")),
            Prefetch("publications", queryset=publications, to_attr="account_parts"),
            "accounts",
        )
        .order_by("pk")
    )


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": str(user), "initials": user.get_initials()}


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _revision(revision: Revision, current_id: int | None) -> dict[str, Any]:
    return {
        "number": revision.number,
        "current": revision.pk == current_id,
        "created_at": _at(revision.created_at),
        "created_by": _person(revision.created_by),
        "text": revision.text,
        "thread": list(revision.thread or []),
        "language": revision.language,
        "tier": revision.tier,
        "content_hash": revision.content_hash,
        "requested_publish_at": _at(revision.requested_publish_at),
        "embargo_until": _at(revision.embargo_until),
        "source": revision.source,
        "variants": revision.variants or {},
        "media": [
            {"alt_text": m.alt_text, "mime_type": m.mime_type, "size": m.size, "sha256": m.sha256}
            for m in revision.media.all()
        ],
        "check_report": revision.check_report or {},
    }


def _approval(approval: Approval) -> dict[str, Any]:
    step = approval.step
    return {
        "revision": approval.revision.number,
        "approver": _person(approval.approver),
        "as_deputy_of": _person(approval.as_deputy_of),
        # None: the built-in default step (one reviewer of every account of the post).
        "step": {"id": step.pk, "name": step.name, "order": step.order} if step else None,
        "content_hash": approval.content_hash,
        "at": _at(approval.created_at),
    }


def _waiver(waiver: Waiver) -> dict[str, Any]:
    return {
        "revision": waiver.revision.number,
        "rule": waiver.rule,
        "category": waiver.category,
        "justification": waiver.justification,
        "granted_by": _person(waiver.granted_by),
        "content_hash": waiver.content_hash,
        "at": _at(waiver.created_at),
    }


def part_record(publication: Publication) -> dict[str, Any]:
    """One publication part: which remote link is which part, and what exactly was sent."""
    return {
        "part": publication.part + 1,
        "state": publication.state,
        "published_at": _at(publication.published_at),
        "remote_url": publication.remote_url,
        "remote_id": publication.remote_id,
        "byline": publication.byline,
        "text": publication.text,
        "deletion_state": publication.deletion_state,
        "deleted_at": _at(publication.deleted_at),
    }


def post_record(post: Post) -> dict[str, Any]:
    """Everything posts.json says of one post (read with ``posts_batch``)."""
    byline = post.byline_record or {}
    return {
        "id": post.pk,
        "state": post.state,
        "tier": post.tier,
        "unit": {"code": post.unit.code, "name": post.unit.name},
        "author": _person(post.author),
        "accounts": [str(a) for a in post.accounts.all()],
        "created_at": _at(post.created_at),
        "scheduled_at": _at(post.scheduled_at),
        "scheduled_by": _person(post.scheduled_by),
        "bylines": byline.get("signatures", []),
        "byline_record": byline,
        "charter": {"name": byline.get("charter", ""), "version_id": charter_version_of(post)},
        "revisions": [_revision(r, post.current_revision_id) for r in post.revisions.all()],
        "approvals": [_approval(a) for a in post.approvals.all()],
        "waivers": [_waiver(w) for w in post.waivers.all()],
        "parts": [part_record(p) for p in post.account_parts],  # type: ignore[attr-defined]
        "remote_links": post.remote_links or [],
    }


def charter_version_of(post: Post) -> int | None:
    """The charter version the post went out under: frozen in its byline at scheduling,
    else the one that checked its current revision."""
    found = (post.byline_record or {}).get("charter_version_id")
    if found is None and post.current_revision is not None:
        found = (post.current_revision.check_report or {}).get("charter_version_id")
    return int(found) if found is not None else None


def charter_versions(ids: set[int]) -> list[dict[str, Any]]:
    """The charter versions named by the posts, with their parameters (the rules applied)."""
    versions = CharterVersion.objects.filter(pk__in=ids).select_related("charter", "created_by")
    return [
        {
            "id": v.pk,
            "charter": v.charter.name,
            "number": v.number,
            "label": v.label,
            "created_at": _at(v.created_at),
            "created_by": _person(v.created_by),
            "params": v.params,
        }
        for v in versions.order_by("charter__name", "number")
    ]

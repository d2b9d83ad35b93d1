"""Posts already scheduled, re-checked when what the charter judges them by changes.

An election declared (or moved) after a post was approved and scheduled, or an account whose
byline template, limits or state an administrator changed, can make a scheduled post one the
charter would now refuse when it goes out. ``charter`` and ``accounts`` cannot import
editorial: they send a signal inside the transaction of their change, and the receivers here
re-check the scheduled posts it concerns, hold those that fail (audited in the name of the
administrator, their people notified) and answer with one line per held post for the
administrator. The claim re-checks every post anyway; this tells people days ahead.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SocialAccount, User
from charter.models import ElectionWindow
from editorial import recheck
from editorial.models import Post, PostState
from editorial.services import publisher


def posts_recheck_scheduled(
    *, posts: QuerySet[Post], by: User | None, cause: dict[str, Any] | None = None
) -> list[str]:
    """Re-check the scheduled ones among ``posts`` as they would go out, and hold those a
    blocking rule would now refuse; one line per post held, for the administrator."""
    ids = list(posts.filter(state=PostState.SCHEDULED).values_list("pk", flat=True))
    if not ids:
        return []
    # Lock first (in id order, as the other batch writers), read second (see workflow.lock_post).
    list(Post.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    locked = list(
        Post.objects.select_related("author", "unit", "current_revision", "scheduled_by")
        .prefetch_related("accounts")
        .filter(pk__in=ids, state=PostState.SCHEDULED)
        .order_by("scheduled_at", "pk")
    )
    checker = recheck.Rechecker()
    checker.prime(locked)
    now = timezone.now()
    failing = []
    for post in locked:
        verdict = checker.verdict(post, at=max(post.scheduled_at or now, now))
        if not verdict.ok:
            failing.append((post, verdict))
    held = {p.pk for p in publisher.posts_hold(verdicts=failing, by=by, cause=cause)}
    return [describe(post, verdict) for post, verdict in failing if post.pk in held]


def describe(post: Post, verdict: recheck.Verdict) -> str:
    """One line for the administrator: which post, when it was due, why it is held."""
    return _("Post #%(id)s “%(title)s”, scheduled for %(when)s: %(reasons)s") % {
        "id": post.pk,
        "title": post.title,
        "when": recheck.moment_words(verdict.moment),
        "reasons": verdict.reasons,
    }


def on_election_window_saved(
    sender: Any, *, window: ElectionWindow, by: User, **kwargs: Any
) -> list[str]:
    """The posts of the units the election concerns (its unit and those below; every unit
    for an organisation-wide election): the speaking unit is the one whose elections count."""
    posts = Post.objects.all()
    if window.unit is not None:
        posts = posts.filter(unit_id__in=window.unit.descendant_ids())
    cause = {"election": {"id": window.pk, "name": window.name}}
    return posts_recheck_scheduled(posts=posts, by=by, cause=cause)


def on_social_account_changed(
    sender: Any, *, account: SocialAccount, by: User, fields: list[str], **kwargs: Any
) -> list[str]:
    posts = Post.objects.filter(accounts=account)
    cause = {"account": {"id": account.pk, "name": str(account)}, "fields": fields}
    return posts_recheck_scheduled(posts=posts, by=by, cause=cause)

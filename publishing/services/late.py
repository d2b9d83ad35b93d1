"""The late-post policy: a publication far later than planned (an outage, a long freeze) may
no longer make sense. Past its account's limit the tick holds it (``hold``) until a publisher
confirms it (``publications_confirm_late``) or cancels it (``publications_cancel_late``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import SocialAccount, User
from editorial.models import Post
from editorial.services import (
    EditorialError,
    post_record_late_decision,
    post_record_late_hold,
    refuse_unless_fit,
)
from publishing import outbox
from publishing.adapters.base import Reason
from publishing.models import Publication, PublicationState
from publishing.services.outcomes import finish_post_if_done

P = PublicationState


def late_limit(account: SocialAccount) -> timedelta:
    minutes = account.late_after_minutes
    if minutes is None:
        minutes = settings.PUBLISH_LATE_AFTER_MINUTES
    return timedelta(minutes=minutes)


def hold(publication: Publication, now: datetime) -> bool:
    """Hold one pending publication (conditional update) and tell the post's people."""
    with transaction.atomic():
        if not outbox.move(publication.pk, source=P.PENDING, target=P.HELD):
            return False
        minutes = int((now - publication.due_at).total_seconds() // 60)
        post_record_late_hold(
            post_id=publication.post_id, accounts=[str(publication.account)], late_minutes=minutes
        )
    return True


def _held(post: Post, by: User) -> list[Publication]:
    held = list(Publication.objects.filter(post=post, state=P.HELD).select_related("account"))
    if not held:
        raise EditorialError(_("Nothing of this post is waiting for a confirmation."))
    for publication in held:
        if not permissions.can(by, permissions.Perm.PUBLISH, publication.account):
            raise PermissionDenied(
                _("Only a publisher of %(account)s can decide.") % {"account": publication.account}
            )
    return held


@transaction.atomic
def publications_confirm_late(*, post: Post, by: User) -> int:
    """Let the held publications go out (paced as a backlog); they are never held again."""
    held = _held(post, by)
    now = timezone.now()
    # It goes out now, not when it was due: the charter's moment-dependent rules say whether
    # it still may (an electoral silence may have begun while it waited).
    refuse_unless_fit(post, at=now)
    changed = outbox.move_all(
        Publication.objects.filter(pk__in=[p.pk for p in held]),
        source=P.HELD,
        target=P.PENDING,
        next_attempt_at=now,
        late_confirmed_by=by,
        late_confirmed_at=now,
    )
    post_record_late_decision(
        post_id=post.pk, by=by, accounts=[str(p.account) for p in held], confirmed=True
    )
    return changed


@transaction.atomic
def publications_cancel_late(*, post: Post, by: User, reason: str) -> int:
    """Give up the held publications: they end failed, with the reason, and nothing is sent.
    The post then reports failed; a publisher may still retry it or withdraw it."""
    why = reason.strip()
    if len(why) < 10:
        raise EditorialError(_("Say why the post should not go out (at least 10 characters)."))
    held = _held(post, by)
    error = _("Not published: too late, cancelled by %(who)s: %(why)s") % {"who": by, "why": why}
    changed = outbox.move_all(
        Publication.objects.filter(pk__in=[p.pk for p in held]),
        source=P.HELD,
        target=P.FAILED,
        last_error=error,
        last_error_reason=Reason.CANCELLED_LATE.value,
        last_error_params={"who": str(by), "why": why},
    )
    post_record_late_decision(
        post_id=post.pk, by=by, accounts=[str(p.account) for p in held], confirmed=False, reason=why
    )
    transaction.on_commit(lambda: finish_post_if_done(post.pk))
    return changed

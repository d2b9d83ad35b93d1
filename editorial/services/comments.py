"""The internal comment thread of a post, with @mentions.

A mention is a promise that the person will hear of the comment, so it is checked before the
comment is stored: a name that matches no active member who can see the post is refused with
the names to fix, rather than dropped in silence (the writer would believe they were told).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from editorial import selectors
from editorial.models import Comment, Notification, Post
from editorial.services import notifications
from editorial.workflow import EditorialError, audit, lock_post

if TYPE_CHECKING:
    from accounts.models import User

MAX_BODY = 5000

# Django usernames allow letters, digits and @ . + - _; an @ inside a word (an email address)
# is not a mention, and a trailing dot ends the sentence rather than the name.
MENTION_RE = re.compile(r"(?<![\w@.+-])@([\w.+-]*\w)")


def mentioned_usernames(body: str) -> list[str]:
    """The usernames written as @username, in order of first appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(body):
        seen.setdefault(match.group(1), None)
    return list(seen)


def _find_members(names: list[str]) -> dict[str, User]:
    """Active members by the name as written; a case slip is forgiven when unambiguous."""
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    candidates: dict[str, list[User]] = {}
    for user in get_user_model().objects.filter(query, is_active=True):
        candidates.setdefault(user.username.lower(), []).append(user)
    found: dict[str, User] = {}
    for name in names:
        same = candidates.get(name.lower(), [])
        exact = [u for u in same if u.username == name]
        if exact or len(same) == 1:
            found[name] = (exact or same)[0]
    return found


def _resolve_mentions(post: Post, body: str, *, by: User) -> list[User]:
    names = mentioned_usernames(body)
    if not names:
        return []
    found = _find_members(names)
    users: list[User] = []
    refused: list[str] = []
    for name in names:
        user = found.get(name)
        if user is None or not selectors.may_see(user, post):
            refused.append(f"@{name}")
        elif user.pk != by.pk and user not in users:
            users.append(user)
    if refused:
        raise EditorialError(
            _(
                "These names are not members who can see this post: %(names)s. "
                "Correct them or remove the @ so nobody believes they were told."
            )
            % {"names": ", ".join(refused)}
        )
    return users


@transaction.atomic
def comment_add(*, post: Post, by: User, body: str) -> Comment:
    """Add a comment to the post's thread and tell the members it mentions."""
    post = lock_post(post.pk)
    if not selectors.may_see(by, post):
        raise PermissionDenied(_("You cannot comment on a post you cannot see."))
    body = body.strip()
    if not body:
        raise EditorialError(_("Write something: the comment is empty."))
    if len(body) > MAX_BODY:
        raise EditorialError(
            _("The comment is too long (%(n)s characters): keep it under %(max)s.")
            % {"n": len(body), "max": MAX_BODY}
        )
    mentioned = _resolve_mentions(post, body, by=by)
    comment = Comment.objects.create(
        post=post, revision=post.current_revision, author=by, body=body
    )
    comment.mentions.set(mentioned)
    audit(
        post,
        "commented",
        actor=by,
        comment_id=comment.pk,
        comment=body,
        revision=post.current_revision.number if post.current_revision else None,
        mentions=[{"id": u.pk, "name": str(u)} for u in mentioned],
    )
    notifications.notify(
        post=post,
        kind=Notification.Kind.MENTIONED,
        recipients=[u.pk for u in mentioned],
        # The list and the email say who wrote; the kind's headline says only "mentioned".
        message=f"{by}: {body}",
    )
    return comment

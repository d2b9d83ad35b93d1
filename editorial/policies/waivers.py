"""Who may waive a charter finding on a post, and who may read the monthly exceptions report.

The waiver itself is ``editorial.services.waivers.waiver_grant``, which asks again under its
lock.
"""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import User
from editorial.models import Post, PostState

# Before approval: once approved, the approvers saw the findings as they were; an edit (which
# sends the post back to review) is the way to change what they approved.
WAIVABLE_STATES = (PostState.DRAFT, PostState.CHANGES_REQUESTED, PostState.IN_REVIEW)


# --- who may waive -------------------------------------------------------------------------


def waive_refusal(post: Post, user: User) -> str | None:
    """Why ``user`` may not waive findings on ``post`` now, in words; None when they may."""
    if post.state not in WAIVABLE_STATES:
        return _(
            "Findings can be waived only before approval (draft, changes requested or in "
            "review); post #%(id)s is %(state)s."
        ) % {"id": post.pk, "state": post.get_state_display()}
    if post.author_id == user.pk:
        return _("You wrote this post: a waiver must come from someone else (four-eyes rule).")
    accounts = list(post.accounts.all())
    if not accounts or not all(permissions.can(user, permissions.Perm.WAIVE, a) for a in accounts):
        return _(
            "Waiving a finding needs the waive right on every account of the post: ask an "
            "administrator of %(accounts)s."
        ) % {"accounts": ", ".join(str(a) for a in accounts)}
    return None


def may_waive(post: Post, user: User) -> bool:
    return waive_refusal(post, user) is None


def may_read_report(user: User, held: Collection[permissions.Perm] | None = None) -> bool:
    """Staff, and members holding the waive right on at least one account. ``held``: the
    rights the user holds on some account (``permissions.rights_held``), when the caller has
    read them already (the layout's menu)."""
    if not user.is_active:
        return False
    if user.is_staff:
        return True
    if held is not None:
        return permissions.Perm.WAIVE in held
    return permissions.accounts_for(user, permissions.Perm.WAIVE).exists()

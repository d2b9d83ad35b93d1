"""What the shared layout shows about the signed-in user: freezes to warn of, links to offer,
unread notifications.

A template tag rather than a context processor: the layout is the only page that needs it,
and the settings stay untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from accounts import permissions
from accounts.models import User
from editorial import policies, selectors, services
from editorial.models import Freeze

register = template.Library()


@dataclass(frozen=True)
class Nav:
    freezes: list[Freeze]  # active freezes concerning the user: a banner each
    can_freeze: bool
    unread: int  # unread notifications
    manages_units: bool  # may connect social accounts
    reads_waivers: bool  # the monthly exceptions report


@register.simple_tag
def editorial_nav(user: object) -> Nav | None:
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    can_freeze = permissions.accounts_for(
        user, permissions.Perm.PUBLISH
    ).exists() or services.may_freeze(user, None)
    return Nav(
        freezes=selectors.freezes_concerning(user),
        can_freeze=can_freeze,
        unread=selectors.unread_count(user),
        manages_units=permissions.units_managed_by(user).exists(),
        reads_waivers=policies.may_read_report(user),
    )

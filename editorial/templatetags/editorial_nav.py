"""What the shared layout shows about the signed-in user: freezes to warn of, links to offer,
unread notifications.

A template tag rather than a context processor: the layout is the only page that needs it,
and the settings stay untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import permissions, record_rights
from accounts.models import User
from editorial import policies, selectors, services
from editorial.models import Freeze

register = template.Library()


@dataclass(frozen=True)
class Link:
    """One entry of the main menu: the URL name, its words, and the ``Nav`` flag that must be
    true for the link to show (empty: everyone signed in)."""

    url_name: str
    label: str | Promise
    when: str = ""


# The main menu, in its order. Adding a page to the menu is one line here.
LINKS: tuple[Link, ...] = (
    Link("editorial:dashboard", _("Dashboard")),
    Link("editorial:compose", _("New post")),
    Link("editorial:queue", _("Review queue")),
    Link("editorial:calendar", _("Calendar")),
    Link("editorial:search", _("Search")),
    Link("editorial:notifications", _("Notifications")),
    Link("editorial:delegations", _("Delegations")),
    Link("editorial:freezes", _("Freezes"), when="can_freeze"),
    Link("editorial:waivers_report", _("Exceptions"), when="reads_waivers"),
    Link("publishing:accounts", _("Accounts"), when="manages_units"),
    Link("editorial:settings", _("Configuration"), when="manages_units"),
    Link("publishing:records", _("Records"), when="exports_records"),
    Link("admin:index", _("Administration"), when="is_staff"),
)


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str | Promise
    href: str
    current: bool  # the page shown: aria-current="page"


@dataclass(frozen=True)
class Nav:
    freezes: list[Freeze]  # active freezes concerning the user: a banner each
    can_freeze: bool
    unread: int  # unread notifications
    manages_units: bool  # may connect social accounts
    reads_waivers: bool  # the monthly exceptions report
    is_staff: bool  # the Django admin
    menu: list[MenuEntry]


def _menu(flags: dict[str, bool], path: str) -> list[MenuEntry]:
    entries = []
    for link in LINKS:
        if link.when and not flags[link.when]:
            continue
        href = reverse(link.url_name)
        # The dashboard is "/": it is current only on itself, other pages also on their subpages.
        current = path == href if href == "/" else path.startswith(href)
        entries.append(MenuEntry(link.url_name, link.label, href, current))
    return entries


@register.simple_tag
def editorial_nav(user: object, path: str = "") -> Nav | None:
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    # Every right the user holds, read once for the flags and the freezes (one query, not
    # one per right: this runs on every page).
    rights = permissions.rights_held(user)
    held = frozenset().union(*rights.values())
    flags = {
        "can_freeze": permissions.Perm.PUBLISH in held or services.may_freeze(user, None),
        "manages_units": permissions.units_managed_by(user).exists(),
        "reads_waivers": policies.may_read_report(user, held),
        "is_staff": user.is_staff,
        "exports_records": record_rights.accounts_exportable_by(user).exists(),
    }
    return Nav(
        freezes=selectors.freezes_concerning(user, rights.keys()),
        unread=selectors.unread_count(user),
        can_freeze=flags["can_freeze"],
        manages_units=flags["manages_units"],
        reads_waivers=flags["reads_waivers"],
        is_staff=flags["is_staff"],
        menu=_menu(flags, path),
    )


# Pages outside the menu, by URL name: what the tab title says when a template sets none.
TITLES: dict[str, str | Promise] = {
    "login": _("Log in"),
    "editorial:post": _("Post"),
    "accounts:second_factor": _("Second factor"),
}


@register.simple_tag
def default_title(url_name: str | None) -> str:
    """The page's name for a template that sets no ``{% block title %}``: its menu entry's
    words, else its entry in ``TITLES``; empty when unknown (the layout then says only
    "Porte-voix")."""
    if not url_name:
        return ""
    for link in LINKS:
        if link.url_name == url_name:
            return str(link.label)
    return str(TITLES.get(url_name, ""))

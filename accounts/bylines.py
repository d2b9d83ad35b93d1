"""The byline: what every post is signed with, rendered from its account's template.

One place renders a template (``render``) and one checks it (``template_errors``): the
charter counts, the publisher sends and the account identity page previews the same text.

Placeholders: ``{unit}`` (the speaking unit's code), ``{initials}`` (the author's), ``{url}``
(the post's public page, "Qui publie ici ?") and ``{account_url}`` (the account's public
page). The links are absolute, on ``SITE_URL``: they leave the site in the post's text.
Templates are never handed to ``str.format`` (``{unit.__class__}`` would reach into
objects): only the four names are replaced, and anything else is refused when saved.

Post ids are sequential, and that is fine for ``{url}``: only published posts have a public
page, and a published post is public anyway; any other id answers 404.
"""

from __future__ import annotations

import string

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

PLACEHOLDERS = ("unit", "initials", "url", "account_url")

# Before a post is saved it has no id: its ``{url}`` is rendered with this stand-in, as long
# as the address of any post below a million (Bluesky counts a link in full, so the count
# errs on the long side; Mastodon counts every link the same). The post's own address
# replaces it as soon as it exists (the check at submission and at scheduling).
STAND_IN_POST_ID = 999_999


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")


def public_account_url(account_id: int) -> str:
    # The URL names are publishing's (the public pages), reversed by name as e-mails do.
    return site_url() + reverse("publishing:public_account", args=[account_id])


def public_post_url(post_id: int) -> str:
    return site_url() + reverse("publishing:public_post", args=[post_id])


def template_errors(template: str) -> list[str]:
    """What is wrong with a byline template, in words (empty: it can be saved)."""
    try:
        fields = [
            (name, spec, conversion)
            for _literal, name, spec, conversion in string.Formatter().parse(template)
            if name is not None
        ]
    except ValueError:
        return [_("A brace is not closed: write {{ and }} for a literal brace.")]
    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    errors = []
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS or spec or conversion:
            errors.append(
                _("Unknown placeholder {%(name)s}: use %(allowed)s.")
                % {"name": name, "allowed": allowed}
            )
    return errors


def render(
    template: str, *, unit_code: str, initials: str, account_id: int, post_id: int | None = None
) -> str:
    """The byline as it is sent. A template saved before validation existed that still holds
    an unknown placeholder keeps it as written rather than failing a publication."""
    values = {"unit": unit_code, "initials": initials}
    if "{url}" in template:
        values["url"] = public_post_url(post_id if post_id is not None else STAND_IN_POST_ID)
    if "{account_url}" in template:
        values["account_url"] = public_account_url(account_id)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return template
    parts: list[str] = []
    for literal, name, spec, conversion in parsed:
        parts.append(literal)
        if name is None:
            continue
        if name in values and not spec and not conversion:
            parts.append(values[name])
        else:
            parts.append("{" + name + (f"!{conversion}" if conversion else "") + "}")
    return "".join(parts)

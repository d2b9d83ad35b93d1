"""Per-network options of a revision: text variants, Mastodon and Bluesky settings (issue #5).

They live on the revision and are part of its content hash, so an approval covers exactly
what each network will show. ``NetworkOptions`` is what the services take; the choices are
the values each network's API accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

NETWORKS = ("mastodon", "bluesky")


class Visibility:
    """Mastodon ``visibility`` (https://docs.joinmastodon.org/methods/statuses/#create);
    "direct" is left out: an institution does not send private messages through here."""

    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"
    choices = [
        (PUBLIC, _("Public")),
        (UNLISTED, _("Unlisted (not in public timelines)")),
        (PRIVATE, _("Followers only")),
    ]
    values = [value for value, _label in choices]


class SelfLabel:
    """Bluesky self-labels a post may carry (``com.atproto.label.defs#selfLabels``; the
    values clients act on for posts: https://docs.bsky.app/docs/advanced-guides/moderation)."""

    NONE = ""
    choices = [
        (NONE, _("None")),
        ("graphic-media", _("Graphic media")),
        ("nudity", _("Nudity")),
        ("sexual", _("Sexually suggestive")),
        ("porn", _("Adult content")),
    ]
    values = [value for value, _label in choices]


class ReplyGate:
    """Who may reply on Bluesky: a threadgate record next to the post (none: everybody)."""

    EVERYBODY = ""
    NOBODY = "nobody"
    MENTIONED = "mentioned"
    FOLLOWERS = "followers"
    choices = [
        (EVERYBODY, _("Everybody")),
        (NOBODY, _("Nobody")),
        (MENTIONED, _("Mentioned accounts")),
        (FOLLOWERS, _("Our followers")),
    ]
    values = [value for value, _label in choices]


def label_of(choices: list[tuple[str, Any]], value: str) -> str:
    return str(dict(choices).get(value, value))


@dataclass(frozen=True)
class NetworkOptions:
    """What an author sets per network; the defaults change nothing on either network."""

    # {"bluesky": "a shorter text"}; an empty or missing variant means the main text.
    variants: Mapping[str, str] = field(default_factory=dict)
    visibility: str = Visibility.PUBLIC
    spoiler_text: str = ""
    sensitive: bool = False
    self_label: str = SelfLabel.NONE
    reply_gate: str = ReplyGate.EVERYBODY

    def cleaned_variants(self) -> dict[str, str]:
        """Known networks only; a blank variant is no variant (the main text is used)."""
        return {
            network: text.strip()
            for network, text in sorted(self.variants.items())
            if network in NETWORKS and text.strip()
        }

    def problems(self) -> list[str]:
        """What the services refuse, in words that say what to change."""
        errors = []
        unknown = sorted(set(self.variants) - set(NETWORKS))
        if unknown:
            errors.append(
                str(_("Unknown network for a variant: %(names)s.")) % {"names": ", ".join(unknown)}
            )
        if self.visibility not in Visibility.values:
            errors.append(str(_("Choose the Mastodon visibility: public, unlisted or private.")))
        if self.self_label not in SelfLabel.values:
            errors.append(str(_("Choose a Bluesky label from the list.")))
        if self.reply_gate not in ReplyGate.values:
            errors.append(str(_("Choose who may reply on Bluesky from the list.")))
        if len(self.spoiler_text) > 500:
            errors.append(str(_("Shorten the content warning to 500 characters at most.")))
        return errors


def described(options: NetworkOptions) -> tuple[tuple[str, str], ...]:
    """The options as (label, shown value) for the history; an option at its default shows
    as empty, so setting or clearing it reads as a change."""
    default = NetworkOptions()
    visibility = "" if options.visibility == default.visibility else options.visibility
    return (
        (str(_("Mastodon version")), options.variants.get("mastodon", "")),
        (str(_("Bluesky version")), options.variants.get("bluesky", "")),
        (
            str(_("Visibility on Mastodon")),
            label_of(Visibility.choices, visibility) if visibility else "",
        ),
        (str(_("Content warning on Mastodon")), options.spoiler_text),
        (str(_("Images marked sensitive on Mastodon")), str(_("yes")) if options.sensitive else ""),
        (
            str(_("Content label on Bluesky")),
            label_of(SelfLabel.choices, options.self_label) if options.self_label else "",
        ),
        (
            str(_("Who may reply on Bluesky")),
            label_of(ReplyGate.choices, options.reply_gate) if options.reply_gate else "",
        ),
    )

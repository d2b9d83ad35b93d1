"""Why a publication failed, in the reader's language, and what to do about it.

The publisher reports each failed publication with a reason code (its
``publishing.adapters.base.Reason``) and the parameters its words need; editorial never
imports publishing, so the codes arrive as plain data (``post_record_outcomes``) and are kept
in ``Post.remote_links`` and ``Notification.data``. Worded when read, like a charter hold
(``models.hold_words``): each reader reads them in their own language, the network's own
words only as a quoted detail.

Plain data in, words out: this module imports no editorial model (``Post.failures`` and
``Notification.failures`` call it), and whether a user may retry is a policy
(``editorial.policies.posts.may_retry``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from accounts.models import SocialAccount, User

NEEDS_RECONNECTION = "needs_reconnection"
UNKNOWN = "unknown"

# Per code: what happened, and what to change. Every refusal says what to change.
_WORDS: dict[str, tuple[Promise, Promise]] = {
    NEEDS_RECONNECTION: (
        _(
            "%(network)s refused the account's credentials: the access was revoked, has "
            "expired or lacks a permission Porte-voix needs."
        ),
        _(
            "An administrator of the unit must reconnect the account on the Accounts page; "
            "then a publisher retries the publication."
        ),
    ),
    "rate_limited": (
        _(
            "%(network)s asked Porte-voix to slow down (too many posts in a short time), and "
            "the attempts ran out."
        ),
        _("Wait a few minutes, then retry the publication."),
    ),
    "too_long": (
        _("The text is longer than %(network)s allows."),
        _(
            "Retrying would send the same text and be refused again: withdraw this post and "
            "write a shorter one."
        ),
    ),
    "rejected": (
        _("%(network)s refused the post as invalid."),
        _(
            "Read the server's words below. If they name the content, withdraw this post and "
            "write a corrected one; if they name the account (suspended, wrong server), an "
            "administrator checks it on the Accounts page."
        ),
    ),
    "media_refused": (
        _("%(network)s refused an image of the post (its type, its size or the number of images)."),
        _(
            "Withdraw this post and write it again with a smaller image (a JPEG or PNG of a "
            "few hundred kilobytes) or fewer images."
        ),
    ),
    "unavailable": (
        _("%(network)s could not be reached or did not answer in time, and the attempts ran out."),
        _("When the server answers again, retry the publication."),
    ),
    "cancelled_late": (
        _("Not published: it was too late, and %(who)s cancelled it: %(why)s"),
        _("If it should still go out, a publisher retries it; otherwise withdraw it."),
    ),
    UNKNOWN: (
        _("The publication failed for a reason Porte-voix could not identify."),
        _(
            "Read the server's words below and retry the publication; if it fails again, "
            "tell your administrator."
        ),
    ),
}

REASONS = frozenset(_WORDS)


@dataclass(frozen=True)
class FailureWords:
    """One failed account, as a reader reads it."""

    account: str
    reason: str
    what: str  # what happened, in the active language
    todo: str  # what to change
    detail: str  # the server's own words, shown quoted and second
    account_id: int | None
    unit_id: int | None

    @property
    def needs_reconnection(self) -> bool:
        return self.reason == NEEDS_RECONNECTION


def _network_label(network: str) -> str:
    labels = dict(SocialAccount.Network.choices)
    return str(labels.get(network, network or gettext("the network")))


def _what(reason: str, params: Mapping[str, Any], network: str) -> str:
    values = {
        "network": _network_label(network),
        "who": str(params.get("who", "")),
        "why": str(params.get("why", "")),
    }
    what = str(_WORDS[reason][0]) % values
    limit = params.get("limit")
    if reason == "too_long" and isinstance(limit, int):
        what += " " + gettext("At most %(limit)s characters.") % {"limit": limit}
    after = params.get("after_part")
    if isinstance(after, int):
        what = (
            gettext("Part %(part)s of the thread failed, so the parts after it were not sent.")
            % {"part": after}
            + " "
            + what
        )
    return what


def failure_words(entry: Mapping[str, Any]) -> FailureWords:
    """One reported failure (``account``, ``reason``, ``params``, ``network``, ``error``)
    worded in the active language; an unknown or missing code reads as "unknown"."""
    reason = str(entry.get("reason") or UNKNOWN)
    if reason not in _WORDS:
        reason = UNKNOWN
    params = entry.get("params") or {}
    network = str(entry.get("network", ""))
    account_id, unit_id = entry.get("account_id"), entry.get("unit_id")
    return FailureWords(
        account=str(entry.get("account", "")),
        reason=reason,
        what=_what(reason, params if isinstance(params, Mapping) else {}, network),
        todo=str(_WORDS[reason][1]),
        # A late cancellation is ours, not the network's: its words already say who and why.
        detail="" if reason == "cancelled_late" else str(entry.get("error", "")),
        account_id=account_id if isinstance(account_id, int) else None,
        unit_id=unit_id if isinstance(unit_id, int) else None,
    )


def failures_of(entries: Iterable[Mapping[str, Any]]) -> list[FailureWords]:
    """The failed publications of a report, one line per account (a thread's later parts
    fail with their first failed part and would only repeat it)."""
    seen: set[str] = set()
    words: list[FailureWords] = []
    for entry in entries:
        if entry.get("state") != "failed" or "reason" not in entry:
            continue
        account = str(entry.get("account", ""))
        if account in seen:
            continue
        seen.add(account)
        words.append(failure_words(entry))
    return words


def failure_fields(publication: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of one reported publication that word its failure; {} unless it failed
    with a reason (a report from before reasons existed has none)."""
    if publication.get("state") != "failed" or "reason" not in publication:
        return {}
    keep = ("account", "part", "state", "reason", "params", "network", "account_id", "unit_id")
    return {
        **{k: publication[k] for k in keep if k in publication},
        "error": str(publication.get("error", "")),
    }


def record(publications: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What a FAILED notification stores (``Notification.data``) to be worded when read."""
    failed = [fields for p in publications if (fields := failure_fields(p))]
    return {"failures": failed} if failed else {}


def reconnecting_units(user: User, failures: Iterable[FailureWords]) -> set[int]:
    """The units, among those whose account needs reconnecting, that ``user`` administers:
    the Accounts page is theirs (others are told to ask an administrator)."""
    wanted = {f.unit_id for f in failures if f.needs_reconnection and f.unit_id is not None}
    if not wanted:
        return set()
    managed = permissions.units_managed_by(user).filter(pk__in=wanted)
    return set(managed.values_list("pk", flat=True))

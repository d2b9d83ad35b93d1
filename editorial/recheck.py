"""The charter again when a post leaves: when it is scheduled and when the publisher claims it.

Submission judged the content, which cannot change once approved (an edit sends the post back
to review). What depends on the moment the post goes out (the electoral silence, the
pre-electoral period, the embargo) or on its accounts as they are now (active, connected,
their byline template and limits) can change after the approval: an election is declared,
an administrator lengthens a byline, a token is revoked. ``Rechecker.verdict`` runs those
rules (``charter.rules.RECHECKED``) on the approved revision, at the moment the post would go
out and with the bylines it would be sent with, and adds what the charter cannot see: an
account that must be reconnected, a tier too low for the approvals the moment now requires.

Reads only. The services decide: scheduling refuses (``post_schedule``, the urgent
procedure), the claim holds (``posts_start_publishing``), and so does the re-evaluation after
an election is declared or a byline changes (``editorial.services.holds``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import OrgUnit, SocialAccount
from charter.engine import CharterConfig, CheckReport, check_groups
from charter.rules import RECHECKED, Finding
from charter.selectors import charter_groups, election_windows_for_unit
from charter.snapshot import ElectionWindowSnapshot
from editorial.models import TIER_ORDER, Post, PostTier, Waiver
from editorial.snapshots import build_snapshot

# Not a charter rule: the network would refuse the account's credentials anyway.
RECONNECTION = "account.needs_reconnection"
# Not a rule either: a finding asks for a tier (and its approvers) the post was not given.
TIER = "approval.tier"


@dataclass(frozen=True)
class Verdict:
    """What the re-check found for one post at one moment; ``ok`` when nothing blocks."""

    moment: datetime
    problems: tuple[str, ...] = ()  # each says what is wrong, in the active language
    rules: tuple[str, ...] = ()  # the rule codes behind them, for the audit trail
    # The same problems in every language of LANGUAGES (only when some problem was found).
    worded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reasons(self) -> str:
        return " ".join(self.problems)

    def record(self) -> dict[str, Any]:
        """For the audit event, the held post and its notifications: what the reader's
        language rebuilds the reason from (``editorial.models.hold_words``)."""
        return {
            "at": self.moment.isoformat(),
            "rules": list(self.rules),
            "problems": list(self.problems),
            "worded": {language: list(words) for language, words in self.worded.items()},
        }


def moment_words(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def schedule_refusal(verdict: Verdict) -> str:
    """Why a post cannot be scheduled for that moment, and what to change."""
    refusal = _("Not scheduled: at %(when)s the charter would refuse this post. %(reasons)s") % {
        "when": moment_words(verdict.moment),
        "reasons": verdict.reasons,
    }
    if TIER in verdict.rules:
        # The tier's problem says what is missing; the ways out are the author's or a time.
        refusal += " " + _(
            "Choose a time outside that period, or its author edits it and submits it again."
        )
    return refusal


def hold_message(verdict: Verdict) -> str:
    """What the people of a held post read, in the words of whoever caused the hold: stored
    as the notification's fallback text (the pages and emails reword it from the verdict in
    their reader's language, see ``editorial/_hold.html``)."""
    lines = [
        _("Held, not published: at %(when)s the charter would refuse this post:")
        % {"when": moment_words(verdict.moment)},
        *(f"- {problem}" for problem in verdict.problems),
        str(WAY_OUT),
    ]
    return "\n".join(lines)


# Said once, after the problems (each problem says only what is wrong).
WAY_OUT = gettext_lazy(
    "To publish it: fix what is listed (edit the post, which sends it back to review; "
    "reconnect the account; or choose a time outside that period), then a publisher "
    "schedules it again, and the charter checks it again."
)


class Rechecker:
    """Re-checks posts, reading each unit's elections and each charter once: the tick
    re-checks a whole batch of due posts inside its claim."""

    def __init__(self) -> None:
        self._windows: dict[int, tuple[ElectionWindowSnapshot, ...]] = {}
        self._groups: dict[tuple[int, tuple[int, ...]], list[tuple[CharterConfig, frozenset[int]]]]
        self._groups = {}
        self._waived: dict[int, frozenset[str]] = {}

    def prime(self, posts: Sequence[Post]) -> None:
        """Read the waivers of all these posts' revisions in one query (a tick's batch costs
        no query per post for them)."""
        ids = [p.current_revision_id for p in posts if p.current_revision_id is not None]
        found: dict[int, set[str]] = {i: set() for i in ids}
        for revision_id, rule in Waiver.objects.filter(revision_id__in=ids).values_list(
            "revision_id", "rule"
        ):
            found[revision_id].add(rule)
        self._waived.update({i: frozenset(rules) for i, rules in found.items()})

    def verdict(self, post: Post, *, at: datetime) -> Verdict:
        """The post's verdict if it went out at ``at`` with its accounts as they are now.

        A refused post is judged once more in each language of ``LANGUAGES`` so that its
        reason can be read in the reader's language, whoever caused the hold (a French
        administrator's election, the tick with no request at all). Why word it now rather
        than store message parameters or judge again when it is read: the rules' messages
        are built with their numbers and dates by each rule (parameters would change every
        rule), and judging again later would give the reason of another moment (an account
        reconnected, an election moved) instead of the one the post was held for. Refusals
        are rare; the extra checks cost CPU only (elections, charters and waivers are read
        once per ``Rechecker``).
        """
        problems, rules = self._problems(post, at=at)
        if not problems:
            return Verdict(moment=at)
        worded = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                worded[language] = self._problems(post, at=at)[0]
        return Verdict(moment=at, problems=problems, rules=rules, worded=worded)

    def _problems(self, post: Post, *, at: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
        revision = post.current_revision
        assert revision is not None
        accounts = list(post.accounts.all())
        report = self._report(post, accounts, at=at)
        problems: list[str] = []
        rules: list[str] = []
        for account in accounts:
            if account.needs_reconnection_since is not None:
                problems.append(_reconnect(account))
                rules.append(RECONNECTION)
        for finding in report.blocking:
            problems.append(finding.message)
            rules.append(finding.rule)
        for finding in _tier_findings(post, report):
            problems.append(
                finding.message
                + " "
                + _("It was approved as “%(tier)s”, without that approval.")
                % {"tier": post.get_tier_display()}
            )
            rules.append(TIER)
        return tuple(dict.fromkeys(problems)), tuple(dict.fromkeys(rules))

    def _report(self, post: Post, accounts: list[SocialAccount], *, at: datetime) -> CheckReport:
        revision = post.current_revision
        assert revision is not None
        snapshot = build_snapshot(
            text=revision.text,
            language=revision.language,
            accounts=accounts,
            unit=post.unit,
            author=post.author,
            # The moment it goes out, not the time it was asked for: that is what is judged.
            scheduled_for=at,
            embargo_until=revision.embargo_until,
            source=revision.source,
            variants=revision.variants,
            spoiler_text=revision.spoiler_text,
            thread=revision.thread or (),
            election_windows=self._windows_of(post.unit),
            with_link_statuses=False,
            post_id=post.pk,
        )
        key = (post.unit.pk, tuple(sorted(a.pk for a in accounts)))
        if key not in self._groups:
            self._groups[key] = charter_groups(post.unit, accounts)
        waived = self._waived.get(revision.pk)
        if waived is None:
            waived = frozenset(revision.waivers.values_list("rule", flat=True))
        return check_groups(snapshot, self._groups[key], waived=waived, only=RECHECKED)

    def _windows_of(self, unit: OrgUnit) -> tuple[ElectionWindowSnapshot, ...]:
        if unit.pk not in self._windows:
            today = timezone.localdate()
            self._windows[unit.pk] = election_windows_for_unit(unit, today=today)
        return self._windows[unit.pk]


def post_recheck(post: Post, *, at: datetime) -> Verdict:
    return Rechecker().verdict(post, at=at)


def _reconnect(account: SocialAccount) -> str:
    message = _(
        "The account %(account)s must be reconnected (on the accounts page) before it can publish."
    ) % {"account": account}
    reason = account.reconnection_reason.strip()
    return f"{message} ({reason})" if reason else message


def _tier_findings(post: Post, report: CheckReport) -> Iterator[Finding]:
    """Findings (not blocking in themselves) that ask for a higher tier than the post's: at
    submission the tier was raised and the higher tier's approvers approved; an election
    declared since then has had no such approval."""
    have = TIER_ORDER.index(PostTier(post.tier))
    for finding in report.findings:
        if finding.waived or finding.min_tier not in TIER_ORDER or finding in report.blocking:
            continue
        if TIER_ORDER.index(PostTier(finding.min_tier)) > have:
            yield finding

"""Charter waivers: one rule lifted on one revision, with a category and a written reason.

Whoever holds the waive right on every account of the post, never its author, may lift a
finding of a waivable rule. The waiver is bound to the revision it was given for: an edit makes
a new revision that it does not cover, so the finding blocks again until someone waives it
anew. Waivers are never deleted; they appear in the audit trail, in the byline record frozen
at scheduling and in the monthly exceptions report (``waivers_report``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from typing import Protocol

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from charter.rules import RULES
from charter.selectors import electoral_referents_for_unit
from charter.waivers import WaiverCategory, allowed_categories, is_waivable, referent_only
from editorial import policies, selectors
from editorial.forms.dates import EARLIEST_YEAR, LATEST_YEAR
from editorial.models import Notification, Post, Revision, Waiver
from editorial.services import notifications
from editorial.services.review import check_charter
from editorial.workflow import EditorialError, TransitionRefused, audit, lock_post

JUSTIFICATION_MIN_LENGTH = 20


def _check_rule_and_category(rule: str, category: str) -> WaiverCategory:
    if rule not in RULES:
        raise EditorialError(_("There is no charter rule “%(rule)s”.") % {"rule": rule})
    if not is_waivable(rule):
        raise EditorialError(
            _(
                "“%(title)s” (%(rule)s) cannot be waived: it is a network limit or something "
                "the law or the institution forbids outright. Change the post instead."
            )
            % {"title": RULES[rule].title, "rule": rule}
        )
    allowed = allowed_categories(rule)
    if category not in allowed:
        raise EditorialError(
            _("A waiver of “%(rule)s” can only be of category: %(allowed)s.")
            % {"rule": rule, "allowed": ", ".join(str(c.label) for c in allowed)}
        )
    return WaiverCategory(category)


def _clean_justification(justification: str) -> str:
    text = justification.strip()
    if len(text) < JUSTIFICATION_MIN_LENGTH:
        raise EditorialError(
            _(
                "Say why this finding does not apply here (at least %(min)s characters): the "
                "justification goes into the monthly exceptions report."
            )
            % {"min": JUSTIFICATION_MIN_LENGTH}
        )
    return text


# --- the service -------------------------------------------------------------------------


def _refuse_waiver_by(post: Post, *, rule: str, by: User) -> None:
    refusal = policies.waive_refusal(post, by)
    if refusal:
        if post.state not in policies.WAIVABLE_STATES:
            raise TransitionRefused(refusal)
        raise PermissionDenied(refusal)


def _revision_to_waive(post: Post, rule: str) -> Revision:
    """The current revision, if ``rule`` has a finding on it and is not waived yet."""
    revision = post.current_revision
    assert revision is not None
    if revision.waivers.filter(rule=rule).exists():
        raise EditorialError(
            _("“%(rule)s” is already waived on revision %(n)s.")
            % {"rule": rule, "n": revision.number}
        )
    if not any(f.rule == rule for f in selectors.current_report(post).findings):
        raise EditorialError(
            _("Revision %(n)s has no finding of “%(rule)s”: there is nothing to waive.")
            % {"n": revision.number, "rule": rule}
        )
    return revision


@transaction.atomic
def waiver_grant(*, post: Post, rule: str, category: str, justification: str, by: User) -> Waiver:
    """Lift ``rule`` on the post's current revision: its findings no longer block.

    Refused (with what to change) when the post is past review, ``by`` wrote it or lacks the
    waive right on one of its accounts, the rule is not waivable or has no finding on this
    revision, the category does not fit the rule, or the justification is too short.
    """
    post = lock_post(post.pk)
    _refuse_waiver_by(post, rule=rule, by=by)
    kind = _check_rule_and_category(rule, category)
    _refuse_unless_referent(post, rule=rule, by=by)
    text = _clean_justification(justification)
    revision = _revision_to_waive(post, rule)
    waiver = Waiver.objects.create(
        post=post,
        revision=revision,
        rule=rule,
        category=kind,
        justification=text,
        granted_by=by,
        content_hash=revision.content_hash,
    )
    if revision.check_report:
        # Submitted already: the stored verdict is what reviewers read, so it shows the waiver.
        check_charter(post, revision)
        revision.save(update_fields=["check_report"])
    audit(
        post,
        "waiver_granted",
        actor=by,
        revision=revision.number,
        content_hash=revision.content_hash,
        rule=rule,
        category=kind.value,
        justification=text,
    )
    _tell_author(post, rule=rule, by=by, kind=kind, text=text)
    return waiver


def _refuse_unless_referent(post: Post, *, rule: str, by: User) -> None:
    if referent_only(rule) and by.pk not in electoral_referents_for_unit(post.unit):
        raise PermissionDenied(
            _(
                "Only an electoral referent of %(unit)s may waive “%(rule)s” (Code électoral, "
                "art. L52-1): ask them, or change the post."
            )
            % {"unit": post.unit, "rule": rule}
        )


def _tell_author(post: Post, *, rule: str, by: User, kind: WaiverCategory, text: str) -> None:
    notifications.notify(
        post=post,
        kind=Notification.Kind.WAIVER_GRANTED,
        recipients=[post.author_id],
        message=_("%(rule)s waived by %(who)s (%(category)s): %(why)s")
        % {"rule": rule, "who": by, "category": kind.label, "why": text},
    )


# --- the monthly exceptions report (its rows: selectors.waivers_in_month) ------------------


def parse_month(value: str) -> date:
    """``YYYY-MM`` as the first day of that month; ValueError otherwise."""
    year, _sep, month = value.strip().partition("-")
    digits = year + month
    if len(year) != 4 or len(month) != 2 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(value)
    # The same years as a typed time (forms/dates.py): 9999-12 has no following month to end at.
    if not EARLIEST_YEAR <= int(year) <= LATEST_YEAR:
        raise ValueError(value)
    return date(int(year), int(month), 1)


# Semicolons: what Excel expects in a French locale (commas are the decimal separator there).
CSV_DELIMITER = ";"
# A cell starting with one of these is a formula to a spreadsheet: quote it as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def report_header() -> list[str]:
    return [
        _("Date"),
        _("Post"),
        _("Accounts"),
        _("Unit"),
        _("Rule"),
        _("Category"),
        _("Justification"),
        _("Granted by"),
        _("Revision"),
        _("Voided by revision"),
        _("Post state"),
    ]


def report_row(waiver: Waiver) -> list[str]:
    post = waiver.post
    current = post.current_revision.number if post.current_revision else 0
    number = waiver.revision.number
    return [
        timezone.localtime(waiver.created_at).strftime("%Y-%m-%d %H:%M"),
        str(post.pk),
        ", ".join(str(a) for a in post.accounts.all()),
        f"{post.unit.name} ({post.unit.code.upper()})",
        waiver.rule,
        str(waiver.get_category_display()),
        waiver.justification,
        str(waiver.granted_by),
        str(number),
        "" if number == current else str(number + 1),
        str(post.get_state_display()),
    ]


class Writable(Protocol):
    def write(self, content: str, /) -> object: ...


def write_report(waivers: Iterable[Waiver], out: Writable) -> None:
    """The exceptions report as CSV: UTF-8 with a byte order mark so Excel reads the accents,
    ``;`` between cells, one waiver per line."""
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=CSV_DELIMITER)
    writer.writerow(report_header())
    for waiver in waivers:
        writer.writerow([_cell(v) for v in report_row(waiver)])

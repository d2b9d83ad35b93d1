"""Writes on charters and elections. A version is never updated: an edit is a new version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts import permissions
from accounts.models import OrgUnit, SocialAccount, User
from charter import linkcheck, signals
from charter.engine import CharterParamsError, normalize_params
from charter.models import Charter, CharterVersion, ElectionWindow, ElectoralReferent, LinkCheck


def may_manage_charter(user: User, unit: OrgUnit | None) -> bool:
    """Superusers, and administrators of the unit or of a unit above it.

    The organisation-wide charter binds every unit: only a superuser writes it.
    """
    if unit is None:
        return user.is_active and user.is_superuser
    return permissions.may_manage_unit(user, unit)


def _record(verb: str, *, by: User, **data: Any) -> None:
    """Append ``verb`` to the audit trail in the caller's transaction (editorial listens)."""
    signals.charter_changed.send(sender=Charter, verb=verb, actor=by, data=data)


def _unit(unit: OrgUnit | None) -> dict[str, Any] | None:
    return None if unit is None else {"id": unit.pk, "code": unit.code}


def _describe_charter(charter: Charter) -> dict[str, Any]:
    account = charter.account
    return {
        "charter": {"id": charter.pk, "name": charter.name},
        "unit": _unit(charter.unit),
        "account": {"id": account.pk, "name": account.handle} if account is not None else None,
    }


WINDOW_FIELDS = (
    "name",
    "kind",
    "window_start",
    "first_round",
    "second_round",
    "time_zone",
    "polls_close",
)


def _describe_window(window: ElectionWindow) -> dict[str, Any]:
    fields = {name: getattr(window, name) for name in WINDOW_FIELDS}
    plain = {name: v.isoformat() if hasattr(v, "isoformat") else v for name, v in fields.items()}
    return {**plain, "unit": _unit(window.unit)}


def charter_unit(charter: Charter) -> OrgUnit | None:
    """The unit a charter speaks for: its own, or its account's (None: the organisation's)."""
    return charter.account.unit if charter.account is not None else charter.unit


def _require_manager(user: User, unit: OrgUnit | None) -> None:
    if not may_manage_charter(user, unit):
        where = unit.code if unit is not None else "the organisation"
        raise PermissionDenied(f"{user} may not manage the charter of {where}.")


@transaction.atomic
def charter_create(
    *, name: str, unit: OrgUnit | None, by: User, account: SocialAccount | None = None
) -> Charter:
    """A unit's charter, the organisation's (no unit), or one account's (``account``)."""
    _require_manager(by, account.unit if account is not None else unit)
    charter = Charter(name=name, unit=None if account is not None else unit, account=account)
    charter.full_clean()
    charter.save()
    _record("charter_created", by=by, **_describe_charter(charter))
    return charter


@transaction.atomic
def charter_delete(*, charter: Charter, by: User) -> None:
    """Remove a charter that never had a version (one that had is history: its versions are
    what past posts were checked against, and they protect it)."""
    locked = (
        Charter.objects.select_for_update(of=("self",))
        .select_related("unit", "account")
        .get(pk=charter.pk)
    )
    _require_manager(by, charter_unit(locked))
    described = _describe_charter(locked)
    locked.delete()
    _record("charter_deleted", by=by, **described)


@transaction.atomic
def charter_version_create(
    *, charter: Charter, params: dict[str, Any], by: User, public_summary: str = ""
) -> CharterVersion:
    """Validate the parameters and record them as the charter's next version, with what the
    public pages say of it (``public_summary``). An account's charter is managed by who
    manages the account's unit."""
    _require_manager(by, charter_unit(charter))
    try:
        normalized = normalize_params(params)
    except CharterParamsError as error:
        raise ValidationError({"params": error.messages}) from error
    # The lock serialises numbering; the unique constraint backs it up.
    charter = Charter.objects.select_for_update().get(pk=charter.pk)
    last = charter.versions.aggregate(last=Max("number"))["last"] or 0
    version = CharterVersion.objects.create(
        charter=charter,
        number=last + 1,
        params=normalized,
        created_by=by,
        public_summary=public_summary.strip(),
    )
    _record(
        "charter_version_created",
        by=by,
        **_describe_charter(charter),
        number=version.number,
        params=normalized,
        public_summary=version.public_summary,
    )
    return version


@dataclass(frozen=True)
class ElectionWindowSaved:
    window: ElectionWindow
    # The scheduled posts taken off the schedule because of it, one line each, as the apps
    # that hold them describe them (editorial: the post, its time and why).
    held: list[str] = field(default_factory=list)


@transaction.atomic
def election_window_save(*, window: ElectionWindow, by: User) -> ElectionWindowSaved:
    """Record a new or changed election. Who manages a unit's charter manages its elections:
    both decide what the unit may publish.

    The posts already scheduled are re-checked in the same transaction (by editorial, through
    ``signals.election_window_saved``): those that would now go out in the electoral silence,
    or in the pre-electoral period without the approval it needs, are held."""
    _require_manager(by, window.unit)
    before = None
    if window.pk is not None:
        current = ElectionWindow.objects.select_for_update().get(pk=window.pk)
        # Moving an election to another unit needs the right on the unit it leaves too.
        _require_manager(by, current.unit)
        before = _describe_window(current)
    window.full_clean()
    window.save()
    after = _describe_window(window)
    if before is None:
        _record("election_window_created", by=by, window_id=window.pk, **after)
    elif before != after:
        _record("election_window_changed", by=by, window_id=window.pk, before=before, after=after)
    answers = signals.election_window_saved.send(sender=ElectionWindow, window=window, by=by)
    # Receivers answer with a list of lines (the stubs type a receiver's answer loosely).
    held = [line for _receiver, lines in answers for line in cast("list[str]", lines)]
    return ElectionWindowSaved(window, held)


@transaction.atomic
def electoral_referent_designate(
    *, user: User, unit: OrgUnit | None, by: User
) -> ElectoralReferent:
    """Make ``user`` the electoral referent of ``unit`` (None: the whole organisation). Who
    manages the unit's charter designates them: the referent lifts what the charter forbids."""
    _require_manager(by, unit)
    referent = ElectoralReferent(user=user, unit=unit)
    referent.full_clean()
    referent.save()
    _record("electoral_referent_designated", by=by, **_describe_referent(referent))
    return referent


def _describe_referent(referent: ElectoralReferent) -> dict[str, Any]:
    return {
        "referent_id": referent.pk,
        "person": {"id": referent.user.pk, "name": str(referent.user)},
        "unit": _unit(referent.unit),
    }


@transaction.atomic
def electoral_referent_remove(*, referent: ElectoralReferent, by: User) -> None:
    """End a designation: the person no longer acts as the unit's electoral referent."""
    locked = ElectoralReferent.objects.select_for_update().get(pk=referent.pk)
    _require_manager(by, locked.unit)
    described = _describe_referent(locked)
    locked.delete()
    _record("electoral_referent_removed", by=by, **described)


@transaction.atomic
def election_window_delete(*, window: ElectionWindow, by: User) -> None:
    """Remove an election (declared by mistake, or cancelled), recorded with what it was.

    The posts it held stay held, off the schedule: none goes out unless a person schedules
    it again, and that scheduling re-checks the post without this election (so it passes
    where it was refused). Nothing is re-scheduled here in anyone's name."""
    locked = ElectionWindow.objects.select_for_update().get(pk=window.pk)
    _require_manager(by, locked.unit)
    described = _describe_window(locked)
    locked.delete()
    _record("election_window_deleted", by=by, window_id=window.pk, **described)


def link_checks_run(*, urls: list[str], now: datetime | None = None) -> int:
    """Fetch the links not checked within LINKCHECK_TTL and record their answers.

    Runs in a worker (``charter.tasks.check_links``), never in a request. Returns how many
    links were fetched.
    """
    now = now or timezone.now()
    fresh_after = now - timedelta(seconds=settings.LINKCHECK_TTL_SECONDS)
    wanted = sorted({u for u in urls if u})[: settings.LINKCHECK_MAX_PER_POST]
    fresh = set(
        LinkCheck.objects.filter(url__in=wanted, checked_at__gte=fresh_after).values_list(
            "url", flat=True
        )
    )
    fetched = 0
    for url in wanted:
        if url in fresh:
            continue
        answer = linkcheck.fetch(
            url,
            timeout=settings.LINKCHECK_TIMEOUT_SECONDS,
            allow_private=settings.LINKCHECK_ALLOW_PRIVATE,
        )
        LinkCheck.objects.update_or_create(
            url=url, defaults={"ok": answer.ok, "detail": answer.detail[:300], "checked_at": now}
        )
        fetched += 1
    return fetched

"""Which charter applies where."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from accounts.models import OrgUnit, SocialAccount
from charter.engine import CharterConfig
from charter.models import Charter, CharterVersion, ElectionWindow, ElectoralReferent, LinkCheck
from charter.snapshot import ElectionWindowSnapshot, LinkStatus


def charter_version_for_unit(unit: OrgUnit) -> CharterVersion | None:
    """The latest version of the nearest charter: the unit's, an ancestor's, or the default.

    A charter that has no version yet is skipped, as if it did not exist.
    """
    chain = [unit.pk, *(ancestor.pk for ancestor in unit.ancestors())]
    latest = CharterVersion.objects.filter(charter=OuterRef("pk")).order_by("-number")
    candidates = {
        charter.unit_id: charter.latest_version_id
        for charter in Charter.objects.filter(
            Q(unit_id__in=chain) | Q(unit__isnull=True, account__isnull=True)
        )
        .annotate(latest_version_id=Subquery(latest.values("pk")[:1]))
        .exclude(latest_version_id=None)
    }
    for unit_id in (*chain, None):
        if unit_id in candidates:
            return CharterVersion.objects.select_related("charter").get(pk=candidates[unit_id])
    return None


def charter_config_for_unit(unit: OrgUnit) -> CharterConfig:
    version = charter_version_for_unit(unit)
    return version.to_config() if version is not None else CharterConfig.default()


def charter_groups(
    unit: OrgUnit, accounts: Sequence[SocialAccount]
) -> list[tuple[CharterConfig, frozenset[int]]]:
    """Which charter checks which accounts: an account's own charter (its latest version),
    else the speaking unit's (inherited up the tree, else the organisation's default)."""
    own = {
        charter.account_id: charter.latest_version_id
        for charter in Charter.objects.filter(account__in=[a.pk for a in accounts])
        .annotate(
            latest_version_id=Subquery(
                CharterVersion.objects.filter(charter=OuterRef("pk"))
                .order_by("-number")
                .values("pk")[:1]
            )
        )
        .exclude(latest_version_id=None)
    }
    by_unit: set[int] = set()
    by_version: dict[int, set[int]] = {}
    for account in accounts:
        version_id = own.get(account.pk)
        if version_id is None:
            by_unit.add(account.pk)
        else:
            by_version.setdefault(version_id, set()).add(account.pk)
    result = (
        [(charter_config_for_unit(unit), frozenset(by_unit))] if by_unit or not accounts else []
    )
    for version_id, ids in sorted(by_version.items()):
        version = CharterVersion.objects.select_related("charter").get(pk=version_id)
        result.append((version.to_config(), frozenset(ids)))
    return result


def election_windows_for_unit(unit: OrgUnit, *, today: date) -> tuple[ElectionWindowSnapshot, ...]:
    """Every election on the unit's chain (its own, its ancestors', the organisation's) whose
    last round is today or later: a past election constrains nothing."""
    chain = [unit.pk, *(ancestor.pk for ancestor in unit.ancestors())]
    windows = (
        ElectionWindow.objects.filter(Q(unit_id__in=chain) | Q(unit__isnull=True))
        .annotate(last_vote=Coalesce("second_round", "first_round"))
        .filter(last_vote__gte=today)
        .order_by("first_round", "pk")
    )
    return tuple(window.to_snapshot() for window in windows)


def electoral_referents_for_unit(unit: OrgUnit) -> set[int]:
    """Ids of the active electoral referents acting for ``unit``: designated on it, on a unit
    above it, or for the whole organisation."""
    chain = [unit.pk, *(ancestor.pk for ancestor in unit.ancestors())]
    return set(
        ElectoralReferent.objects.filter(Q(unit_id__in=chain) | Q(unit__isnull=True))
        .filter(user__is_active=True)
        .values_list("user_id", flat=True)
    )


def link_statuses(urls: list[str]) -> tuple[LinkStatus, ...]:
    """What the link check found for these links (those not checked yet are left out)."""
    if not urls:
        return ()
    return tuple(
        LinkStatus(url, ok, detail)
        for url, ok, detail in LinkCheck.objects.filter(url__in=set(urls)).values_list(
            "url", "ok", "detail"
        )
    )


def charter_version_for_account(account: SocialAccount) -> CharterVersion | None:
    """The charter version that checks what is published on ``account`` now: its own
    charter's latest version, else its unit's (as ``charter_groups`` decides)."""
    own = (
        CharterVersion.objects.filter(charter__account=account)
        .select_related("charter")
        .order_by("-number")
        .first()
    )
    return own if own is not None else charter_version_for_unit(account.unit)

"""Writes on the organisation: memberships and accounts keep their grants in step.

Every write that can give or end a right recomputes the rights it touches in its own
transaction (``permissions.sync_user``); the rights it withdraws are audited with ``by``, and
so is the change itself (``organisation.record``: what changed, before and after).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions, signals
from accounts.models import Membership, OrgUnit, SocialAccount, User
from accounts.organisation import (
    describe_account,
    describe_person,
    describe_unit,
    differences,
    record,
    snapshot,
)
from accounts.unit_admin import admin_roles_over


class OrganisationError(ValueError):
    """A change of the organisation refused, with words for the person who asked."""


def _check_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise OrganisationError(
            _("Unknown role %(role)s: choose one of %(roles)s.")
            % {"role": role, "roles": ", ".join(Membership.Role.values)}
        )


def _require_manager(by: User | None, *units: OrgUnit) -> None:
    """``by`` None is the system (a command, a migration, the demo): trusted."""
    for unit in units:
        if by is not None:
            permissions.require_unit_admin(by, unit)


@transaction.atomic
def membership_create(
    *, user: User, unit: OrgUnit, role: str, by: User | None = None
) -> Membership:
    _check_role(role)
    _require_manager(by, unit)
    with permissions.acting(by=by, cause="membership_created"):
        membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
        permissions.sync_user(user)
    if created:
        record("membership_created", by=by, **_describe_membership(membership))
    return membership


def _describe_membership(membership: Membership) -> dict[str, Any]:
    return {
        "membership_id": membership.pk,
        "person": describe_person(membership.user),
        "unit": describe_unit(membership.unit),
        "role": membership.role,
    }


def _refuse_giving_up_own_control(membership: Membership, by: User | None) -> None:
    """An administrator may not end their own administrator membership when nothing else lets
    them administer its unit (another administrator role there or above, or being a
    superuser): they could not undo it, and the unit could be left with nobody to manage it."""
    if (
        by is None
        or by.pk != membership.user_id
        or membership.role != Membership.Role.ADMIN
        or by.is_superuser
    ):
        return
    if not admin_roles_over(by, membership.unit).exclude(pk=membership.pk).exists():
        raise OrganisationError(
            _(
                "You cannot give up your own administrator role in %(unit)s: you could not "
                "undo it. Ask another administrator of this unit, or of a unit above it."
            )
            % {"unit": membership.unit.name}
        )


def _lock_membership(membership: Membership) -> Membership:
    locked: Membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "unit")
        .get(pk=membership.pk)
    )
    return locked


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User | None) -> Membership:
    """Give the member another role in the same unit: the old role's rights end now. When
    they already hold the new role there, the two become one."""
    _check_role(role)
    locked = _lock_membership(membership)
    _require_manager(by, locked.unit)
    if role != locked.role:
        _refuse_giving_up_own_control(locked, by)
    before = _describe_membership(locked)
    with permissions.acting(by=by, cause="membership_role_changed"):
        result = _change_or_merge(locked, unit=locked.unit, role=role)
        permissions.sync_user(locked.user)
    if role != before["role"]:
        record("membership_role_changed", by=by, before=before, after=_describe_membership(result))
    return result


@transaction.atomic
def membership_move(*, membership: Membership, unit: OrgUnit, by: User | None) -> Membership:
    """The member leaves their unit for another with the same role: the old unit's rights
    end now, the new one's start."""
    locked = _lock_membership(membership)
    _require_manager(by, locked.unit, unit)
    if unit.pk != locked.unit_id:
        _refuse_giving_up_own_control(locked, by)
    before = _describe_membership(locked)
    with permissions.acting(by=by, cause="membership_moved"):
        result = _change_or_merge(locked, unit=unit, role=locked.role)
        permissions.sync_user(locked.user)
    if unit.pk != before["unit"]["id"]:
        record("membership_moved", by=by, before=before, after=_describe_membership(result))
    return result


def _change_or_merge(membership: Membership, *, unit: OrgUnit, role: str) -> Membership:
    """The membership becomes (unit, role); when the member already holds that one, the two
    become one (the unique constraint allows a single row per user, unit and role)."""
    twin = Membership.objects.filter(user=membership.user, unit=unit, role=role)
    if twin.exclude(pk=membership.pk).exists():
        membership.delete()
        return twin.get()
    membership.unit, membership.role = unit, role
    membership.save(update_fields=["unit", "role"])
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership, by: User | None) -> None:
    """The member leaves the unit (or gives up this role in it): its rights end now."""
    locked = _lock_membership(membership)
    _require_manager(by, locked.unit)
    _refuse_giving_up_own_control(locked, by)
    described = _describe_membership(locked)
    with permissions.acting(by=by, cause="membership_deleted"):
        locked.delete()
        permissions.sync_user(locked.user)
    record("membership_deleted", by=by, **described)


@transaction.atomic
def user_set_active(*, user: User, active: bool, by: User | None) -> None:
    """Deactivate (or reactivate) a person: an inactive person holds no right at all."""
    if by is not None and not by.is_superuser:
        units = OrgUnit.objects.filter(memberships__user=user).distinct()
        _require_manager(by, *units)
    verb = "user_deactivated" if not active else "user_activated"
    rows = type(user).objects.select_for_update().filter(pk=user.pk)
    was_active = rows.values_list("is_active", flat=True).get()
    with permissions.acting(by=by, cause=verb):
        rows.update(is_active=active)
        user.is_active = active
        permissions.sync_user(user)
    if was_active != active:
        record(verb, by=by, person=describe_person(user), before=was_active, after=active)


@transaction.atomic
def social_account_set_active(*, account: SocialAccount, active: bool, by: User) -> list[str]:
    """Deactivate (or reactivate) an account. Deactivated, it explains no right: the rows on
    it end in this transaction (``receivers.account_saved``, audited as
    ``account_deactivated``), then its scheduled posts are held; their people are told from
    the memberships and grants (``permissions.users_explained``), not from the rows just
    removed. Reactivated, the rights its memberships and grants explain come back. Returns
    the posts held, one line each."""
    _require_manager(by, account.unit)
    locked = SocialAccount.objects.select_for_update().get(pk=account.pk)
    if locked.is_active == active:
        return []
    verb = "account_deactivated" if not active else "account_activated"
    with permissions.acting(by=by, cause=verb):
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        account.is_active = active
        record(verb, by=by, account=describe_account(locked), before=not active, after=active)
        return social_account_changed(account=locked, by=by, fields=["is_active"])


# What an account's record shows of it: never its credentials (only that they were replaced).
ACCOUNT_FIELDS = (
    "network",
    "server_url",
    "handle",
    "unit",
    "byline_template",
    "public_description",
    "public_contact",
    "moderation_policy",
    "max_characters",
    "characters_reserved_per_url",
    "is_active",
)


@transaction.atomic
def social_account_save(
    *, account: SocialAccount, by: User, credentials: dict[str, Any] | None = None
) -> list[str]:
    """Create or change an account from the admin's form (``account`` carries the new
    values; ``credentials`` replace the stored ones). Who administers its unit (and, for a
    move, the unit it leaves) may. The rights on it follow its unit and state, the change is
    recorded (before and after; credentials only as replaced), and when the charter's verdict
    depends on what changed its scheduled posts are re-checked. Returns the posts held."""
    previous = SocialAccount.objects.select_for_update().filter(pk=account.pk).first()
    _require_manager(by, account.unit, *([previous.unit] if previous is not None else []))
    before = snapshot(previous, ACCOUNT_FIELDS) if previous is not None else {}
    if credentials:
        account.set_credentials(credentials)
    with permissions.acting(by=by, cause="account_changed"):
        account.full_clean()
        account.save()
        permissions.sync_account_grants(account)
    after = snapshot(account, ACCOUNT_FIELDS)
    if previous is None:
        record("account_created", by=by, account=describe_account(account), fields=after)
        return []
    changes = differences(before, after)
    if credentials:
        changes["credentials"] = {"before": "…", "after": "…"}
    if changes:
        record("account_changed", by=by, account=describe_account(account), changes=changes)
    return social_account_changed(account=account, by=by, fields=changes.keys())


@transaction.atomic
def social_account_create(
    *,
    network: str,
    server_url: str,
    handle: str,
    unit: OrgUnit,
    credentials: dict[str, Any] | None = None,
    byline_template: str | None = None,
    max_characters: int | None = None,
    server_info: dict[str, Any] | None = None,
) -> SocialAccount:
    account = SocialAccount(network=network, server_url=server_url, handle=handle, unit=unit)
    if server_info is not None:
        account.server_info = server_info
    if byline_template is not None:
        account.byline_template = byline_template
    if max_characters is not None:
        account.max_characters = max_characters
    if credentials:
        account.set_credentials(credentials)
    account.full_clean()
    account.save()
    permissions.sync_account_grants(account)
    return account


@transaction.atomic
def social_account_store_session(*, account_id: int, session: str) -> None:
    """Persist a refreshed Bluesky session so workers reuse it instead of logging in again."""
    account = SocialAccount.objects.select_for_update().get(pk=account_id)
    account.set_session(session)
    account.save(update_fields=["session_encrypted"])


@transaction.atomic
def social_account_set_limits(
    *, account_id: int, max_characters: int, characters_reserved_per_url: int
) -> None:
    """Record the instance's own limits so the charter counts exactly as the server will."""
    SocialAccount.objects.filter(pk=account_id).update(
        max_characters=max_characters, characters_reserved_per_url=characters_reserved_per_url
    )


@transaction.atomic
def social_account_set_server_info(*, account_id: int, info: dict[str, Any]) -> None:
    """Record what the server said about itself (software, limits, counting, scopes the
    token lacks), read at connection and on "test connection"."""
    SocialAccount.objects.filter(pk=account_id).update(
        server_info=info,
        max_characters=int(info["max_characters"]),
        characters_reserved_per_url=int(info["characters_reserved_per_url"]),
    )


@transaction.atomic
def social_account_connect(
    *, network: str, server_url: str, handle: str, unit: OrgUnit, credentials: dict[str, Any]
) -> tuple[SocialAccount, bool]:
    """Store fresh credentials for an account, creating it on first connection.

    Reconnecting an existing account replaces its credentials and drops its stored session
    (it belonged to the old credentials); its unit stays. Returns (account, created).
    """
    account = (
        SocialAccount.objects.select_for_update()
        .filter(network=network, server_url=server_url, handle=handle)
        .first()
    )
    if account is None:
        account = social_account_create(
            network=network,
            server_url=server_url,
            handle=handle,
            unit=unit,
            credentials=credentials,
        )
        return account, True
    account.set_credentials(credentials)
    account.set_session("")
    account.is_active = True
    account.needs_reconnection_since = None
    account.reconnection_reason = ""
    account.save(
        update_fields=[
            "credentials_encrypted",
            "session_encrypted",
            "is_active",
            "needs_reconnection_since",
            "reconnection_reason",
        ]
    )
    return account, False


@transaction.atomic
def social_account_needs_reconnection(
    *, account_id: int, reason: str, missing_scopes: Sequence[str] = ()
) -> None:
    """The server refused the account's credentials, or they lack a permission Porte-voix
    needs (``missing_scopes``): flag it (once) until it is reconnected."""
    SocialAccount.objects.filter(pk=account_id, needs_reconnection_since__isnull=True).update(
        needs_reconnection_since=timezone.now(), reconnection_reason=reason
    )
    if missing_scopes:
        account = SocialAccount.objects.select_for_update().get(pk=account_id)
        known = set(account.missing_scopes)
        if not known.issuperset(missing_scopes):
            account.server_info = {
                **account.server_info,
                "missing_scopes": sorted(known | set(missing_scopes)),
            }
            account.save(update_fields=["server_info"])


def social_account_connection_works(*, account_id: int) -> None:
    """A successful connection test clears the flag."""
    SocialAccount.objects.filter(pk=account_id).update(
        needs_reconnection_since=None, reconnection_reason=""
    )


# The settings a post's charter verdict depends on (its byline, its lengths, its state).
CHECKED_SETTINGS = frozenset(
    {"byline_template", "is_active", "max_characters", "characters_reserved_per_url"}
)


@transaction.atomic
def social_account_changed(*, account: SocialAccount, by: User, fields: Iterable[str]) -> list[str]:
    """An administrator changed ``fields`` of the account (already saved, in the caller's
    transaction). When the charter's verdict depends on them, the apps above re-check the
    account's scheduled posts (``signals.social_account_changed``); returns what they held,
    one line each."""
    changed = sorted(set(fields) & CHECKED_SETTINGS)
    if not changed:
        return []
    answers = signals.social_account_changed.send(
        sender=SocialAccount, account=account, by=by, fields=changed
    )
    # Receivers answer with a list of lines (the stubs type a receiver's answer loosely).
    return [line for _receiver, lines in answers for line in cast("list[str]", lines)]

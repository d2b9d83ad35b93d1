"""Rights follow every save and delete of what explains them, whatever path wrote it.

The services sync explicitly; these receivers are the safety net for the paths that bypass
them: the Django admin (change forms, inline formsets, the bulk delete action),
``queryset.delete()`` (Django sends ``post_delete`` for each row when a receiver listens) and
cascades (a unit deleted takes its memberships). ``queryset.update()`` sends nothing: that
is what ``manage.py check_permissions`` is for. Fixtures loaded raw are left alone.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts import permissions
from accounts.models import AccountGrant, Membership, OrgUnit, SocialAccount, User


def _user_deleted(origin: Any) -> bool:
    """The deletion started from users: their rows go with them, nothing to recompute."""
    if isinstance(origin, User):
        return True
    return isinstance(origin, QuerySet) and origin.model is User


def _sync(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        permissions.sync_user(user)


@receiver(pre_save, sender=Membership, dispatch_uid="pv-rights-membership-before")
def membership_before_save(sender: Any, instance: Membership, raw: bool, **kwargs: Any) -> None:
    # A membership given to someone else (the admin's user field) ends the first one's rights.
    if instance.pk and not raw:
        before = Membership.objects.filter(pk=instance.pk).values_list("user_id", flat=True)
        instance._rights_previous_user_id = before.first()  # type: ignore[attr-defined]


@receiver(post_save, sender=Membership, dispatch_uid="pv-rights-membership-saved")
def membership_saved(sender: Any, instance: Membership, raw: bool, **kwargs: Any) -> None:
    if raw:
        return
    _sync(instance.user_id)
    previous = getattr(instance, "_rights_previous_user_id", None)
    if previous is not None and previous != instance.user_id:
        _sync(previous)


@receiver(post_delete, sender=Membership, dispatch_uid="pv-rights-membership-deleted")
def membership_deleted(sender: Any, instance: Membership, origin: Any = None, **kw: Any) -> None:
    if not _user_deleted(origin):
        _sync(instance.user_id)


@receiver(post_save, sender=AccountGrant, dispatch_uid="pv-rights-grant-saved")
def grant_saved(sender: Any, instance: AccountGrant, raw: bool, **kwargs: Any) -> None:
    if not raw:
        _sync(instance.user_id)


@receiver(post_delete, sender=AccountGrant, dispatch_uid="pv-rights-grant-deleted")
def grant_deleted(sender: Any, instance: AccountGrant, origin: Any = None, **kw: Any) -> None:
    if not _user_deleted(origin):
        _sync(instance.user_id)


@receiver(post_save, sender=User, dispatch_uid="pv-rights-user-saved")
def user_saved(
    sender: Any, instance: User, created: bool, raw: bool, update_fields: Any, **kwargs: Any
) -> None:
    # A new user holds nothing yet; a login (last_login alone) changes no right.
    if created or raw or not _touches(update_fields, "is_active"):
        return
    permissions.sync_user(instance)


def _touches(update_fields: Any, *fields: str) -> bool:
    """Whether a save may have changed one of ``fields`` (all of them when not told)."""
    return update_fields is None or bool(set(update_fields) & set(fields))


@receiver(post_save, sender=SocialAccount, dispatch_uid="pv-rights-account-saved")
def account_saved(
    sender: Any, instance: SocialAccount, raw: bool, update_fields: Any, **kwargs: Any
) -> None:
    # A worker storing a session or limits changes no right: skip the recomputation.
    if raw or not _touches(update_fields, "is_active", "unit"):
        return
    if instance.is_active:
        permissions.sync_account(instance)
        return
    # A deactivated account explains no right: its rows end now, audited under that cause
    # and in the name of whoever acts (the admin's page, a service), if anyone.
    context = permissions.current_acting()
    with permissions.acting(by=context.by if context else None, cause="account_deactivated"):
        permissions.sync_account(instance)


@receiver(post_delete, sender=SocialAccount, dispatch_uid="pv-rights-account-deleted")
def account_deleted(sender: Any, instance: SocialAccount, **kwargs: Any) -> None:
    # Guardian's rows point at the account by a generic key: nothing cascades to them.
    permissions.sync_account(instance)


@receiver(post_save, sender=OrgUnit, dispatch_uid="pv-rights-unit-saved")
def unit_saved(
    sender: Any, instance: OrgUnit, created: bool, raw: bool, update_fields: Any, **kwargs: Any
) -> None:
    if not (created or raw) and _touches(update_fields, "parent"):
        permissions.sync_unit(instance)

"""Give existing administrators the waive right their role now carries (``ROLE_PERMS``).

Same reasoning as 0004 for the urgent right: grants are written when a membership or an account
is created, so memberships made before the right existed would otherwise lack it. Reversing
keeps the grants: some may have been given by hand per account since.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

CODENAME = "waive_for_account"


def _subtree(children: dict[int | None, list[int]], root: int) -> set[int]:
    ids, frontier = {root}, [root]
    while frontier:
        frontier = [c for parent in frontier for c in children.get(parent, [])]
        ids.update(frontier)
    return ids


def grant_waive_to_admins(apps: Any, schema_editor: Any) -> None:
    membership = apps.get_model("accounts", "Membership")
    admins = list(membership.objects.filter(role="admin").values_list("user_id", "unit_id"))
    if not admins:
        return  # a fresh database: post_migrate creates the permission, grants follow roles
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="accounts", model="socialaccount"
    )[0]
    permission = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type,
        codename=CODENAME,
        defaults={"name": "Can waive charter findings on posts for this account"},
    )[0]
    children: dict[int | None, list[int]] = {}
    for pk, parent in apps.get_model("accounts", "OrgUnit").objects.values_list("pk", "parent"):
        children.setdefault(parent, []).append(pk)
    accounts = apps.get_model("accounts", "SocialAccount").objects
    grants = apps.get_model("guardian", "UserObjectPermission").objects
    for user_id, unit_id in admins:
        units = _subtree(children, unit_id)
        for account_pk in accounts.filter(unit_id__in=units).values_list("pk", flat=True):
            grants.get_or_create(
                user_id=user_id,
                permission=permission,
                content_type=content_type,
                object_pk=str(account_pk),
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_waive_right"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [
        migrations.RunPython(grant_waive_to_admins, migrations.RunPython.noop),
    ]

"""Rights withdrawn from a person are written in the audit trail, beside the delegations.

``accounts`` recomputes rights and tells of those it withdrew (``rights_revoked``); it may
not import editorial, where the audit chain lives. The event has no post: it records who
lost which right on which account, who acted (None: the system, e.g. the nightly check) and
why (the cause's word).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.models import SocialAccount
from editorial.workflow import audit

if TYPE_CHECKING:
    from accounts.models import User
    from accounts.permissions import Row


def on_rights_revoked(
    sender: Any, *, user: User, removed: list[Row], by: User | None, cause: str, **kwargs: Any
) -> None:
    names = dict(
        SocialAccount.objects.filter(pk__in={pk for pk, _perm in removed}).values_list(
            "pk", "handle"
        )
    )
    rights = [
        {"account": {"id": pk, "name": names.get(pk, "")}, "right": perm.name.lower()}
        for pk, perm in removed
    ]
    audit(
        None,
        "rights_revoked",
        actor=by,
        person={"id": user.pk, "name": str(user)},
        rights=rights,
        cause=cause,
    )

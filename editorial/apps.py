from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = _("Editorial")

    def ready(self) -> None:
        # charter and accounts tell of their changes by signal: they must not import editorial.
        from django.conf import settings
        from PIL import Image

        # Pillow refuses to open an image of more than twice this many pixels (and warns
        # above it): the same budget as uploads (editorial.images), for every image opened.
        Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS

        from accounts.signals import (
            organisation_changed,
            rights_revoked,
            security_event,
            social_account_changed,
        )
        from charter.signals import charter_changed, election_window_saved
        from editorial import rights_audit
        from editorial.services import holds

        election_window_saved.connect(holds.on_election_window_saved, dispatch_uid="pv-hold-el")
        social_account_changed.connect(
            holds.on_social_account_changed, dispatch_uid="pv-hold-account"
        )
        rights_revoked.connect(rights_audit.on_rights_revoked, dispatch_uid="pv-audit-rights")
        security_event.connect(_record_security_event, dispatch_uid="pv-audit-security")
        organisation_changed.connect(_record_security_event, dispatch_uid="pv-audit-org")
        charter_changed.connect(_record_security_event, dispatch_uid="pv-audit-charter")


def _record_security_event(
    sender: Any, verb: str, actor: Any, data: dict[str, Any], **kwargs: Any
) -> None:
    """Lockouts, second-factor changes, changes to the organisation (memberships, accounts,
    rights on one account) and to charters and elections go on the audit trail (accounts and
    charter cannot import us)."""
    from editorial.services import audit_record

    audit_record(verb=verb, actor=actor, **data)

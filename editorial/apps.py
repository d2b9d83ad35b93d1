from __future__ import annotations

from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"

    def ready(self) -> None:
        # charter and accounts tell of their changes by signal: they must not import editorial.
        from accounts.signals import rights_revoked, social_account_changed
        from charter.signals import election_window_saved
        from editorial import holds, rights_audit

        election_window_saved.connect(holds.on_election_window_saved, dispatch_uid="pv-hold-el")
        social_account_changed.connect(
            holds.on_social_account_changed, dispatch_uid="pv-hold-account"
        )
        rights_revoked.connect(rights_audit.on_rights_revoked, dispatch_uid="pv-audit-rights")

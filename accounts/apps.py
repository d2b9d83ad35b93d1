from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisation")

    def ready(self) -> None:
        from axes.signals import user_locked_out

        # Rights follow every write of what explains them, whichever path made it.
        from accounts import receivers  # noqa: F401
        from accounts.lockout import on_user_locked_out

        user_locked_out.connect(on_user_locked_out, dispatch_uid="pv-login-locked-out")

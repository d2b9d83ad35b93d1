"""Key rotation for the credentials encrypted at rest (``accounts.crypto``).

Every model field named ``*_encrypted`` holds a Fernet token made by ``crypto.encrypt``: that
convention is how rotation finds them all, whichever app they live in (accounts never imports
publishing). ``tests/accounts/test_rotate_keys.py`` lists the fields it expects, so a new one
is seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from accounts import crypto

SUFFIX = "_encrypted"


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Each model with Fernet-token fields, and those fields, in a stable order."""
    found = []
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, models.TextField | models.CharField) and f.name.endswith(SUFFIX)
        ]
        if names:
            found.append((model, sorted(names)))
    return sorted(found, key=lambda item: item[0]._meta.label)


@dataclass
class RotationReport:
    """Counts per ``app.Model.field``: values re-encrypted, and already under the first key."""

    rotated: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())

    @property
    def total_current(self) -> int:
        return sum(self.current.values())


class UnreadableCredentials(Exception):
    """Stored values no key of FERNET_KEYS opens; nothing was changed."""

    def __init__(self, locations: list[str]) -> None:
        self.locations = locations
        super().__init__(
            f"{len(locations)} stored value(s) open with none of FERNET_KEYS: "
            f"{'; '.join(locations)}. Nothing was changed. Put back in FERNET_KEYS the key "
            "they were encrypted with, or reconnect those accounts, then run rotate_keys again."
        )


@transaction.atomic
def credentials_rotate(*, dry_run: bool = False) -> RotationReport:
    """Re-encrypt every stored token with the first key of FERNET_KEYS, all or nothing.

    Idempotent: a token the first key already opens is left as it is, so a second run changes
    nothing. The rows are locked while they are rewritten, so a worker refreshing a Bluesky
    session waits instead of writing over the rotated value (it must itself run with the new
    FERNET_KEYS: docs/operations.md). Values are never logged or returned.
    """
    first = Fernet(settings.FERNET_KEYS[0].encode())
    keyring = crypto.keyring()
    report, unreadable = RotationReport(), []
    for model, names in encrypted_fields():
        manager = model._default_manager
        rows = manager.select_for_update().order_by("pk").values_list("pk", *names)
        for pk, *tokens in rows:
            changes: dict[str, str] = {}
            for name, token in zip(names, tokens, strict=True):
                label = f"{model._meta.label}.{name}"
                report.rotated.setdefault(label, 0)
                report.current.setdefault(label, 0)
                if not token:
                    continue
                try:
                    first.decrypt(token.encode())
                    report.current[label] += 1
                    continue
                except InvalidToken:
                    pass
                try:
                    changes[name] = keyring.rotate(token.encode()).decode()
                except InvalidToken:
                    unreadable.append(f"{model._meta.label} pk {pk} {name}")
                    continue
                report.rotated[label] += 1
            if changes and not dry_run:
                # update(), not save(): nothing but the tokens changes, no signal fires.
                manager.filter(pk=pk).update(**changes)
    if unreadable:
        raise UnreadableCredentials(unreadable)  # rolls back what was rewritten
    return report

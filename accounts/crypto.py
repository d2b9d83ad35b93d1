"""Encryption at rest for social-network credentials.

MultiFernet over FERNET_KEYS: the first key encrypts, all keys decrypt, so keys can be rotated
by prepending a new one. A token that no key opens is a loud error: we never hand ciphertext
back as if it were a secret.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsError(Exception):
    """Stored credentials cannot be decrypted with the configured keys."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FERNET_KEYS is empty: credentials cannot be encrypted.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FERNET_KEYS holds an invalid key: {exc}") from exc


def keyring() -> MultiFernet:
    """Every configured key: the first encrypts, all decrypt (``MultiFernet.rotate`` too)."""
    return _fernet(tuple(settings.FERNET_KEYS))


_current = keyring


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsError(
            "Stored credentials cannot be decrypted: FERNET_KEYS does not hold the key they "
            "were encrypted with. Restore the old key (keys can be listed together) or "
            "reconnect the account."
        ) from exc

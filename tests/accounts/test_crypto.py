from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from accounts import crypto
from accounts.models import SocialAccount
from tests.conftest import Org


def test_crypto_round_trip_never_stores_plaintext(org: Org) -> None:
    org.mastodon.set_credentials({"secret": "token-123"})
    org.mastodon.save()
    stored = SocialAccount.objects.get(pk=org.mastodon.pk)
    assert "token-123" not in stored.credentials_encrypted
    assert stored.get_credentials() == {"secret": "token-123"}


def test_crypto_wrong_key_is_a_loud_error(org: Org) -> None:
    other_key = Fernet.generate_key().decode()
    with (
        override_settings(FERNET_KEYS=[other_key]),
        pytest.raises(crypto.CredentialsError, match="FERNET_KEYS"),
    ):
        org.mastodon.get_credentials()


def test_crypto_rotation_keeps_old_tokens_readable() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FERNET_KEYS=[old]):
        token = crypto.encrypt("secret")
    with override_settings(FERNET_KEYS=[new, old]):
        assert crypto.decrypt(token) == "secret"
        assert crypto.decrypt(crypto.encrypt("x")) == "x"

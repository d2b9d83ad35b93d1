from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from accounts.keys import encrypted_fields
from accounts.models import SocialAccount
from publishing.models import MastodonApp
from tests.conftest import Org


@dataclass
class Keys:
    old: str
    new: str


@pytest.fixture
def keys() -> Iterator[Keys]:
    """The org's credentials written under ``old``: as before a rotation starts."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FERNET_KEYS=[old]):
        yield Keys(old, new)


def _stored(org: Org) -> dict[str, str]:
    """Every token the org's rows hold, by place."""
    tokens = {}
    for account in SocialAccount.objects.filter(pk__in=[org.mastodon.pk, org.bluesky.pk]):
        tokens[f"{account.handle} credentials"] = account.credentials_encrypted
        tokens[f"{account.handle} session"] = account.session_encrypted
    for app in MastodonApp.objects.all():
        tokens[f"{app.instance_url} secret"] = app.client_secret_encrypted
    return {place: token for place, token in tokens.items() if token}


def _store_secrets(org: Org) -> None:
    org.bluesky.set_session("bluesky-session-string")
    org.bluesky.save(update_fields=["session_encrypted"])
    app = MastodonApp(
        instance_url="https://social.example.gouv.fr",
        redirect_uri="https://porte-voix.example.gouv.fr/cb",
        client_id="cid",
        scopes="write:statuses",
    )
    app.set_client_secret("client-secret-value")
    app.save()


def _rotate(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def test_rotate_keys_finds_every_encrypted_field() -> None:
    found = {f"{model._meta.label}.{name}" for model, names in encrypted_fields() for name in names}
    assert found == {
        "accounts.SocialAccount.credentials_encrypted",
        "accounts.SocialAccount.session_encrypted",
        "publishing.MastodonApp.client_secret_encrypted",
    }


def test_rotate_keys_reencrypts_old_tokens_with_the_new_first_key(keys: Keys, org: Org) -> None:
    _store_secrets(org)
    before = _stored(org)
    assert len(before) == 4  # two credentials, a session, a client secret
    with override_settings(FERNET_KEYS=[keys.new, keys.old]):
        # Readable with the old key listed second, before and after.
        assert SocialAccount.objects.get(pk=org.mastodon.pk).get_credentials() == {
            "secret": "s3cret"
        }
        output = _rotate()
    after = _stored(org)
    assert after.keys() == before.keys()
    new = Fernet(keys.new.encode())
    for place, token in after.items():
        assert token != before[place], place
        new.decrypt(token.encode())  # the new key alone opens it
        with pytest.raises(InvalidToken):
            Fernet(keys.old.encode()).decrypt(token.encode())
    assert "4 value(s) re-encrypted with the first of 2 key(s), 0 already under it" in output
    assert "accounts.SocialAccount.credentials_encrypted: 2 re-encrypted" in output


def test_rotate_keys_values_still_open_once_the_old_key_is_removed(keys: Keys, org: Org) -> None:
    _store_secrets(org)
    with override_settings(FERNET_KEYS=[keys.new, keys.old]):
        _rotate()
    with override_settings(FERNET_KEYS=[keys.new]):
        assert SocialAccount.objects.get(pk=org.mastodon.pk).get_credentials() == {
            "secret": "s3cret"
        }
        bluesky = SocialAccount.objects.get(pk=org.bluesky.pk)
        assert bluesky.get_session() == "bluesky-session-string"
        assert MastodonApp.objects.get().get_client_secret() == "client-secret-value"
        # The check the procedure runs before removing the old key everywhere.
        assert "0 value(s) would be re-encrypted" in _rotate("--dry-run")


def test_rotate_keys_twice_changes_nothing_the_second_time(keys: Keys, org: Org) -> None:
    _store_secrets(org)
    with override_settings(FERNET_KEYS=[keys.new, keys.old]):
        _rotate()
        once = _stored(org)
        output = _rotate()
    assert _stored(org) == once
    assert "0 value(s) re-encrypted with the first of 2 key(s), 4 already under it" in output


def test_rotate_keys_dry_run_writes_nothing(keys: Keys, org: Org) -> None:
    _store_secrets(org)
    before = _stored(org)
    with override_settings(FERNET_KEYS=[keys.new, keys.old]):
        output = _rotate("--dry-run")
    assert _stored(org) == before
    assert "Dry run: 4 value(s) would be re-encrypted" in output


def test_rotate_keys_never_prints_a_secret(
    keys: Keys, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    _store_secrets(org)
    before = _stored(org)
    with override_settings(FERNET_KEYS=[keys.new, keys.old]):
        output = _rotate()
    after = _stored(org)
    printed = output + "".join(capsys.readouterr())
    for secret in ["s3cret", "bluesky-session-string", "client-secret-value", keys.new, keys.old]:
        assert secret not in printed
    for token in [*before.values(), *after.values()]:
        assert token not in printed


def test_rotate_keys_refuses_and_changes_nothing_when_a_value_opens_with_no_key(
    keys: Keys, org: Org
) -> None:
    _store_secrets(org)
    lost = Fernet.generate_key().decode()
    with override_settings(FERNET_KEYS=[lost]):
        org.bluesky.set_credentials({"secret": "under a key since lost"})
        org.bluesky.save(update_fields=["credentials_encrypted"])
    before = _stored(org)
    with (
        override_settings(FERNET_KEYS=[keys.new, keys.old]),
        pytest.raises(CommandError) as refused,
    ):
        _rotate()
    assert _stored(org) == before  # the other three were not rewritten either
    message = str(refused.value)
    assert f"accounts.SocialAccount pk {org.bluesky.pk} credentials_encrypted" in message
    assert "Nothing was changed" in message
    assert "under a key since lost" not in message

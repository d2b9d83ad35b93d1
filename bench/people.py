"""The people and accounts a bench works with, made through the services as the tests' factories
make them, without the test tree: production-side tools never import ``tests`` (and
factory_boy is a development dependency). Django must be set up before calling these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import OrgUnit, SocialAccount, User

# A Mastodon account as connecting it leaves it: its server detected as Mastodon (an account
# whose software is not known is counted conservatively, links in full).
MASTODON_SERVER_INFO: dict[str, Any] = {
    "software": "mastodon",
    "version": "4.3.0",
    "max_characters": 500,
    "characters_reserved_per_url": 23,
    "counting": "mastodon",
    "honours_idempotency_key": True,
    "scopes": ["write:statuses", "write:media", "read:accounts", "read:statuses"],
    "missing_scopes": [],
}


def make_unit(*, name: str, code: str) -> OrgUnit:
    from accounts.models import OrgUnit

    return OrgUnit.objects.create(name=name, code=code, kind=OrgUnit.Kind.SERVICE)


def make_user(*, username: str) -> User:
    from accounts.models import User

    # The benches log in with force_login: no password is needed.
    return User.objects.create_user(
        username,
        email=f"{username}@example.gouv.fr",
        first_name="Camille",
        last_name="Martin",
    )


def make_account(unit: OrgUnit, network: str = "mastodon") -> SocialAccount:
    """Through the service, so that grants follow the org chart."""
    from accounts.models import SocialAccount
    from accounts.services import social_account_create

    n = SocialAccount.objects.count()
    mastodon = network == "mastodon"
    return social_account_create(
        network=network,
        unit=unit,
        server_url="https://social.example.gouv.fr" if mastodon else "https://pds.example.gouv.fr",
        handle=f"compte{n}" if mastodon else f"compte{n}.test",
        credentials={"secret": "s3cret"},
        server_info=dict(MASTODON_SERVER_INFO) if mastodon else None,
    )

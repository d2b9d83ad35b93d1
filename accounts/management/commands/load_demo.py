"""Load (or refresh) the demo organisation used by `make run`.

Idempotent: units, users and accounts are created once; account server URLs and credentials
are refreshed on every run because the local peers start empty each time. Passwords of new
users are generated and printed once, with, for those whose role requires a second factor
(manager, director), the key of their authenticator app and their backup codes: a newcomer
adds the key to an app (or uses a backup code) to log in.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts import permissions, second_factor
from accounts.identity import AccountIdentity, social_account_set_identity, user_set_public_profile
from accounts.models import OrgUnit, SocialAccount, User
from accounts.services import membership_create

PEOPLE = [
    # username, first, last, unit code, roles, staff
    ("officer", "Jeanne", "Dupont", "sicom", ["author"], False),
    ("manager", "Marc", "Leroy", "sicom", ["reviewer", "publisher"], False),
    ("director", "Hélène", "Moreau", "dgx", ["reviewer", "publisher", "admin"], True),
]

# username, authenticator key, its otpauth:// URL, backup codes
Factor = tuple[str, str, str, list[str]]


class Command(BaseCommand):
    help = "Create the demo organisation and connect its accounts to the given servers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mastodon-url", default="")
        parser.add_argument("--mastodon-token", default="")
        parser.add_argument("--bluesky-url", default="")
        parser.add_argument("--bluesky-handle", default="")
        parser.add_argument("--bluesky-password", default="")
        parser.add_argument("--mastodon-handle", default="ministere")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        direction, sicom = _units()
        self._accounts(options, sicom)
        created, factors = _people()
        _electoral_referent(direction)
        _public_identity(sicom)
        self._report(created, factors)
        # The demo's charter and approval chain. By name, through the command registry:
        # accounts imports neither charter nor editorial (see _electoral_referent).
        call_command("load_demo_rules", stdout=self.stdout)

    def _accounts(self, options: dict[str, Any], sicom: OrgUnit) -> None:
        """Connect SICOM's demo accounts to the servers given on the command line."""
        if options["mastodon_url"]:
            self._account(
                SocialAccount.Network.MASTODON,
                options["mastodon_url"],
                options["mastodon_handle"],
                options["mastodon_token"],
                sicom,
            )
        if options["bluesky_url"]:
            self._account(
                SocialAccount.Network.BLUESKY,
                options["bluesky_url"],
                options["bluesky_handle"],
                options["bluesky_password"],
                sicom,
            )

    def _report(self, created: list[tuple[str, str, str]], factors: list[Factor]) -> None:
        """The new users' passwords and second factors, shown only this once."""
        if created:
            self.stdout.write(self.style.SUCCESS("Demo users (passwords shown only this once):"))
            for username, password, role_names in created:
                self.stdout.write(f"  {username:<9} {password:<14} {role_names}")
            self.stdout.write("  (director is also the electoral referent of DGX and SICOM)")
            if factors:
                self.stdout.write(
                    self.style.SUCCESS(
                        "Second factor (required for reviewers, publishers, administrators): "
                        "add the key to an authenticator app, or log in with a backup code "
                        "(each works once). Shown only this once:"
                    )
                )
            for username, secret, url, codes in factors:
                self.stdout.write(f"  {username:<9} key {secret}")
                self.stdout.write(f"  {'':<9} {url}")
                self.stdout.write(f"  {'':<9} backup codes: {' '.join(codes)}")
        else:
            self.stdout.write(
                "Demo users already exist (passwords were printed on first run; "
                "`make clean` starts over)."
            )

    def _account(self, network: str, url: str, handle: str, secret: str, unit: OrgUnit) -> None:
        account = SocialAccount.objects.filter(network=network, unit=unit).first()
        if account is None:
            account = SocialAccount(network=network, unit=unit)
        account.server_url = url
        account.handle = handle
        account.set_credentials({"secret": secret})
        account.set_session("")
        account.save()
        permissions.sync_account_grants(account)
        self.stdout.write(f"Connected {account} at {url}")


def _units() -> tuple[OrgUnit, OrgUnit]:
    """The demo organisation (a ministry, its direction, two services); returns the direction
    and SICOM."""
    ministry, _ = OrgUnit.objects.get_or_create(
        code="mex", defaults={"name": "Ministère de l'Exemple", "kind": OrgUnit.Kind.MINISTRY}
    )
    direction, _ = OrgUnit.objects.get_or_create(
        code="dgx",
        defaults={
            "name": "Direction générale",
            "kind": OrgUnit.Kind.DIRECTION,
            "parent": ministry,
        },
    )
    OrgUnit.objects.get_or_create(
        code="sicom",
        defaults={
            "name": "Service de l'information et de la communication",
            "kind": OrgUnit.Kind.SERVICE,
            "parent": direction,
        },
    )
    OrgUnit.objects.get_or_create(
        code="sdata",
        defaults={
            "name": "Service des données",
            "kind": OrgUnit.Kind.SERVICE,
            "parent": direction,
        },
    )
    return direction, OrgUnit.objects.get(code="sicom")


def _people() -> tuple[list[tuple[str, str, str]], list[Factor]]:
    """The demo users and their memberships; returns those created (with their password and
    roles) and the second factors of those who need one."""
    created: list[tuple[str, str, str]] = []
    factors: list[Factor] = []
    for username, first, last, code, roles, staff in PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(9)
            user = User.objects.create_user(
                username=username,
                password=password,
                first_name=first,
                last_name=last,
                email=f"{username}@exemple.gouv.fr",
                is_staff=staff,
                is_superuser=staff,
            )
            created.append((username, password, ", ".join(roles)))
        unit = OrgUnit.objects.get(code=code)
        for role in roles:
            membership_create(user=user, unit=unit, role=role)
        if created and created[-1][0] == username and second_factor.requires_second_factor(user):
            factors.append(_second_factor(user))
    return created, factors


def _second_factor(user: User) -> Factor:
    """A confirmed authenticator and fresh backup codes for a new user who needs them."""
    device = second_factor.totp_device_pending(user=user)
    device.confirmed = True
    device.name = "authenticator"
    device.save(update_fields=["confirmed", "name"])
    codes = second_factor.backup_codes_renew(user=user, audit=False)
    return (user.username, second_factor.totp_secret(device), device.config_url, codes)


def _electoral_referent(direction: OrgUnit) -> None:
    # In a pre-electoral period every post is political and needs the speaking unit's
    # head or an electoral referent; SICOM has no head in the demo, so without a referent
    # a post could not even be submitted once an election is declared. The director
    # (DGX, above SICOM) is the referent. Through the app registry: accounts does not
    # import charter.
    referent = apps.get_model("charter", "ElectoralReferent")
    referent.objects.get_or_create(user=User.objects.get(username="director"), unit=direction)


# What "Qui publie ici ?" shows of the demo: the bylines link to each post's public page.
DEMO_BYLINE = "— {unit} ^{initials} · {url}"
DEMO_PROFILES = {
    # username: (function, agreed to be named)
    "officer": ("chargée de communication", True),
    "manager": ("chef du bureau de la communication numérique", False),
    "director": ("directrice générale", False),
}


def _public_identity(sicom: OrgUnit) -> None:
    """The demo accounts' public profile and the people's functions, set once (what an
    administrator or an agent changed afterwards is kept), through the services an
    administrator and the agents use: audited like theirs."""
    # The direction's administrator, who administers SICOM's accounts.
    director = User.objects.get(username="director")
    identity = AccountIdentity(
        public_description=(
            "Compte officiel du Service de l'information et de la communication du "
            "Ministère de l'Exemple."
        ),
        public_contact="contact@exemple.gouv.fr",
        moderation_policy=(
            "Les réponses sont lues du lundi au vendredi, de 9 h à 18 h. Les messages "
            "injurieux, diffamatoires ou hors sujet sont masqués."
        ),
        byline_template=DEMO_BYLINE,
    )
    for account in SocialAccount.objects.filter(unit=sicom, public_contact=""):
        social_account_set_identity(account=account, identity=identity, by=director)
    for username, (function, consent) in DEMO_PROFILES.items():
        # Each agent states their own function and consent (nobody else may).
        agent = User.objects.get(username=username)
        if not agent.job_title:
            user_set_public_profile(
                user=agent, job_title=function, public_name_consent=consent, by=agent
            )

from __future__ import annotations

from typing import Any, cast

import factory

from accounts.models import OrgUnit, SocialAccount, User
from bench.people import MASTODON_SERVER_INFO  # one copy: the benches make accounts too


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gouv.fr")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save()


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"Service {n}")
    code = factory.Sequence(lambda n: f"svc{n}")
    kind = OrgUnit.Kind.SERVICE
    parent = None


def make_account(unit: OrgUnit, network: str = "mastodon", **kwargs: Any) -> SocialAccount:
    """Accounts go through the service so that grants follow the org chart."""
    from accounts.services import social_account_create

    n = SocialAccount.objects.count()
    defaults: dict[str, Any] = {
        "server_url": "https://social.example.gouv.fr"
        if network == "mastodon"
        else "https://pds.example.gouv.fr",
        "handle": f"compte{n}" if network == "mastodon" else f"compte{n}.test",
        "credentials": {"secret": "s3cret"},
        "server_info": dict(MASTODON_SERVER_INFO) if network == "mastodon" else None,
    }
    defaults.update(kwargs)
    return social_account_create(network=network, unit=unit, **defaults)


def make_user(**kwargs: Any) -> User:
    return cast(User, UserFactory(**kwargs))


def make_unit(**kwargs: Any) -> OrgUnit:
    return cast(OrgUnit, OrgUnitFactory(**kwargs))


def make_policy(
    *, unit: OrgUnit | None = None, account: SocialAccount | None = None, name: str = "Chain"
) -> Any:
    from editorial.models import ApprovalPolicy

    return ApprovalPolicy.objects.create(name=name, unit=unit, account=account)


def add_step(policy: Any, name: str, kind: str, **kwargs: Any) -> Any:
    """Append a step at the end of the policy's chain."""
    from editorial.models import ApprovalStep

    order = policy.steps.count() + 1
    step = ApprovalStep(policy=policy, order=order, name=name, kind=kind, **kwargs)
    step.full_clean()
    step.save()
    return step


def make_delegation(
    from_user: User, to_user: User, starts_on: Any, ends_on: Any, unit: OrgUnit | None = None
) -> Any:
    from accounts.models import Delegation

    return Delegation.objects.create(
        from_user=from_user, to_user=to_user, unit=unit, starts_on=starts_on, ends_on=ends_on
    )


def drop_permission_row(user: User, perm: Any, account: SocialAccount) -> None:
    """Remove one guardian row behind the rights' back: a role's right missing on one
    account (or a row a migration must restore), which ``permissions.revoke`` will not do
    since the role still explains it. The next sync of the user restores it."""
    from guardian.shortcuts import remove_perm

    remove_perm(perm.value, user, account)

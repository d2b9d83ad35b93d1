"""A social account's own charter overrides its unit's for what is published on it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from charter.models import Charter, CharterVersion
from charter.selectors import charter_config_for_unit, charter_groups
from editorial import services
from tests.conftest import Org

# A phone number blocks by default (pii.phone); the account's charter turns the rule to a warning.
TEXT = "Renseignements au 01 23 45 67 89 du lundi au vendredi."


def _account_charter(org: Org) -> Charter:
    charter = Charter.objects.create(name="Charte du compte Bluesky", account=org.bluesky)
    CharterVersion.objects.create(
        charter=charter, number=1, params={"severities": {"pii.phone": "warn"}}
    )
    return charter


def test_account_charter_checks_only_its_accounts_rendition(org: Org) -> None:
    _account_charter(org)
    groups = charter_groups(org.service, [org.mastodon, org.bluesky])
    assert [ids for _config, ids in groups] == [
        frozenset({org.mastodon.pk}),
        frozenset({org.bluesky.pk}),
    ]


def test_account_charter_is_not_the_organisation_default(org: Org) -> None:
    _account_charter(org)
    assert charter_config_for_unit(org.service).version_id is None


def test_post_on_both_accounts_keeps_the_strictest_verdict(org: Org) -> None:
    _account_charter(org)
    post = services.post_create(by=org.officer, accounts=[org.mastodon, org.bluesky], text=TEXT)
    with pytest.raises(services.CharterRefused) as info:
        services.post_submit(post=post, by=org.officer)
    assert "Charte du compte Bluesky" in info.value.report.charter_label


def test_post_on_the_account_with_its_own_charter_follows_it(org: Org) -> None:
    _account_charter(org)
    post = services.post_create(by=org.officer, accounts=[org.bluesky], text=TEXT)

    report = services.post_submit(post=post, by=org.officer)

    assert report.ok
    assert [f.severity for f in report.findings if f.rule == "pii.phone"] == ["warn"]
    post.refresh_from_db()
    assert post.current_revision is not None
    assert post.current_revision.check_report["charter"] == "Charte du compte Bluesky v1"


def test_charter_belongs_to_a_unit_or_an_account_not_both(org: Org) -> None:
    with pytest.raises(IntegrityError):
        Charter.objects.create(name="Les deux", unit=org.service, account=org.mastodon)

"""The demo organisation `make run` loads works through an election period too."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import OrgUnit, User
from charter.selectors import electoral_referents_for_unit

pytestmark = pytest.mark.django_db


def test_load_demo_gives_sicom_an_electoral_referent_once() -> None:
    # Twice: the loader runs at every `make run` and must not duplicate anything.
    call_command("load_demo")
    call_command("load_demo")
    director = User.objects.get(username="director")
    # SICOM has no head of its own: without a referent, the political tier's step (every
    # post in a pre-electoral period) would have nobody to approve it.
    assert electoral_referents_for_unit(OrgUnit.objects.get(code="sicom")) == {director.pk}


def test_load_demo_prints_a_second_factor_for_reviewers_that_works(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from django.test import Client

    from tests.conftest import unverified_login

    call_command("load_demo")
    out = capsys.readouterr().out
    keyed = [line.split() for line in out.splitlines()]
    lines = {words[0]: words[2] for words in keyed if len(words) == 3 and words[1] == "key"}
    # Those whose role requires it, not the author.
    assert sorted(lines) == ["director", "manager"]
    codes = [line for line in out.splitlines() if "backup codes:" in line]
    assert len(codes) == 2
    manager_code = codes[0].split("backup codes:")[1].split()[0]
    client = Client()
    unverified_login(client, User.objects.get(username="manager"))
    assert client.post("/second-factor/verify/", {"code": manager_code})["Location"] == "/"
    assert client.get("/review/").status_code == 200
    # A second run prints no secret again.
    call_command("load_demo")
    assert "backup codes:" not in capsys.readouterr().out


def test_load_demo_gives_the_accounts_a_public_identity_with_a_linked_byline() -> None:
    from accounts.models import SocialAccount

    call_command(
        "load_demo",
        "--mastodon-url=https://social.example.gouv.fr",
        "--mastodon-token=t0ken",
    )
    account = SocialAccount.objects.get()
    assert account.byline_template == "— {unit} ^{initials} · {url}"
    assert account.public_contact and account.moderation_policy
    officer = User.objects.get(username="officer")
    assert officer.job_title and officer.public_name_consent
    assert not User.objects.get(username="manager").public_name_consent
    # What an administrator changes afterwards survives the next run.
    SocialAccount.objects.update(byline_template="— {unit} ^{initials}", public_contact="x@y.fr")
    call_command("load_demo")
    assert SocialAccount.objects.get().byline_template == "— {unit} ^{initials}"

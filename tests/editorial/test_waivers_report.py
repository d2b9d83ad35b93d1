"""The monthly exceptions report (CSV), its page and command, and the waive form on the post
page."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from editorial.models import Post, Waiver
from editorial.services import waivers
from tests.conftest import Org
from tests.factories import make_account, make_unit, make_user

EMAIL_TEXT = "Écrivez-nous à contact@mairie-exemple.fr pour toute question sur le dossier."
WHY = "Adresse de contact officielle du service, publiée sur notre site."
PARIS = timezone.get_fixed_timezone(60)
NOVEMBER = datetime(2026, 11, 10, 9, 30, tzinfo=PARIS)
OCTOBER = datetime(2026, 10, 20, 9, 30, tzinfo=PARIS)
EN = {"accept-language": "en"}


@pytest.fixture
def chief(org: Org) -> User:
    chief = make_user(username="chief", first_name="Paul", last_name="Chef")
    membership_create(user=chief, unit=org.service, role=Membership.Role.ADMIN)
    return chief


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _waived(org: Org, chief: User, when: datetime, justification: str = WHY) -> Waiver:
    with time_machine.travel(when, tick=False):
        post = services.post_create(by=org.officer, accounts=[org.mastodon], text=EMAIL_TEXT)
        return waivers.waiver_grant(
            post=post,
            rule="pii.email",
            category="own_contact",
            justification=justification,
            by=chief,
        )


def _rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel needs the mark to read UTF-8
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _report(client: Client, month: str) -> Any:
    return client.get(reverse("editorial:waivers_report"), {"month": month}, headers=EN)


def test_waivers_report_csv_lists_the_waivers_of_the_month(org: Org, chief: User) -> None:
    waiver = _waived(org, chief, NOVEMBER)
    response = _report(_client(chief), "2026-11")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="waivers-2026-11.csv"'
    header, *rows = _rows(response.content)
    assert header[:5] == ["Date", "Post", "Accounts", "Unit", "Rule"]
    assert rows == [
        [
            timezone.localtime(waiver.created_at).strftime("%Y-%m-%d %H:%M"),
            str(waiver.post_id),
            str(org.mastodon),
            "Service communication (SICOM)",
            "pii.email",
            "The institution's own contact details",
            WHY,
            str(chief),
            "1",
            "",
            "Draft",
        ]
    ]


def test_waivers_report_keeps_only_the_month_asked(org: Org, chief: User) -> None:
    _waived(org, chief, OCTOBER)
    november = _waived(org, chief, NOVEMBER)
    _header, *rows = _rows(_report(_client(chief), "2026-11").content)
    assert [r[1] for r in rows] == [str(november.post_id)]


def test_waivers_report_shows_the_revision_that_voided_a_waiver(org: Org, chief: User) -> None:
    waiver = _waived(org, chief, NOVEMBER)
    with time_machine.travel(NOVEMBER, tick=False):
        services.post_update(
            post=waiver.post, by=org.officer, base_revision=1, text="Autre texte.", language="fr"
        )
    _header, row = _rows(_report(_client(chief), "2026-11").content)
    assert row[8:10] == ["1", "2"]


def test_waivers_report_lists_only_posts_the_user_can_see(org: Org, chief: User) -> None:
    _waived(org, chief, NOVEMBER)
    elsewhere = make_unit(name="Préfecture", code="pref")
    stranger = make_user(username="stranger")
    membership_create(user=stranger, unit=elsewhere, role=Membership.Role.ADMIN)
    make_account(elsewhere, "mastodon")
    _header, *rows = _rows(_report(_client(stranger), "2026-11").content)
    assert rows == []


def test_waivers_report_refuses_members_without_the_waive_right(org: Org) -> None:
    response = _report(_client(org.manager), "2026-11")
    assert response.status_code == 403


def test_waivers_report_is_open_to_staff(org: Org) -> None:
    staff = make_user(username="auditor", is_staff=True)
    assert _report(_client(staff), "2026-11").status_code == 200


def test_waivers_report_page_without_month_offers_the_form(org: Org, chief: User) -> None:
    response = _client(chief).get(reverse("editorial:waivers_report"), headers=EN)
    assert response.status_code == 200
    assert b'id="waivers-report-form"' in response.content


def test_waivers_report_refuses_a_malformed_month(org: Org, chief: User) -> None:
    response = _report(_client(chief), "novembre")
    assert response.status_code == 400
    assert b"YYYY-MM" in response.content


def test_waivers_report_neutralises_spreadsheet_formulas(org: Org, chief: User) -> None:
    _waived(org, chief, NOVEMBER, justification='=HYPERLINK("http://x") contact officiel')
    _header, row = _rows(_report(_client(chief), "2026-11").content)
    assert row[6].startswith("'=")


def test_waivers_report_command_writes_the_month(org: Org, chief: User, tmp_path: Path) -> None:
    _waived(org, chief, OCTOBER)
    november = _waived(org, chief, NOVEMBER)
    target = tmp_path / "report.csv"
    call_command("waivers_report", month="2026-11", output=str(target), language="en")
    _header, *rows = _rows(target.read_bytes())
    assert [r[1] for r in rows] == [str(november.post_id)]


def test_waivers_report_command_writes_to_stdout(org: Org, chief: User) -> None:
    _waived(org, chief, NOVEMBER)
    out = io.StringIO()
    call_command("waivers_report", month="2026-11", stdout=out)
    _header, *rows = _rows(out.getvalue().encode())
    assert len(rows) == 1


# --- the waive form on the post page ------------------------------------------------------


def _draft(org: Org) -> Post:
    return services.post_create(by=org.officer, accounts=[org.mastodon], text=EMAIL_TEXT)


def test_post_page_offers_the_waive_form_to_a_member_with_the_right(org: Org, chief: User) -> None:
    post = _draft(org)
    response = _client(chief).get(reverse("editorial:post", args=[post.pk]), headers=EN)
    content = response.content.decode()
    assert 'class="subform waiver-form"' in content
    assert 'value="own_contact"' in content
    assert 'value="editorial"' not in content  # not a category of pii.email


def test_post_page_offers_no_waive_form_to_the_author(org: Org) -> None:
    post = _draft(org)
    response = _client(org.officer).get(reverse("editorial:post", args=[post.pk]), headers=EN)
    assert b"waiver-form" not in response.content


def test_waiver_grant_view_waives_the_finding(org: Org, chief: User) -> None:
    post = _draft(org)
    response = _client(chief).post(
        reverse("editorial:waiver_grant", args=[post.pk]),
        {"rule": "pii.email", "pii-email-category": "own_contact", "pii-email-justification": WHY},
    )
    assert response.status_code == 302
    waiver = Waiver.objects.get(post=post)
    assert (waiver.rule, waiver.granted_by) == ("pii.email", chief)


def test_waiver_grant_view_turns_a_refusal_into_a_message(org: Org, chief: User) -> None:
    post = _draft(org)
    response = _client(chief).post(
        reverse("editorial:waiver_grant", args=[post.pk]),
        {"rule": "pii.email", "pii-email-category": "own_contact", "pii-email-justification": "x"},
        headers=EN,
        follow=True,
    )
    assert not Waiver.objects.exists()
    assert b"at least 20 characters" in response.content


def test_waiver_grant_view_hides_posts_from_outsiders(org: Org) -> None:
    post = _draft(org)
    response = _client(org.outsider).post(
        reverse("editorial:waiver_grant", args=[post.pk]), {"rule": "pii.email"}
    )
    assert response.status_code == 404


def test_post_page_shows_a_waiver_in_the_history(org: Org, chief: User) -> None:
    waiver = _waived(org, chief, NOVEMBER)
    response = _client(org.officer).get(
        reverse("editorial:post", args=[waiver.post_id]), headers=EN
    )
    content = response.content.decode()
    assert 'class="waiver"' in content
    assert WHY in content
    assert 'data-verb="waiver_granted"' in content


def test_post_page_marks_a_waived_finding_of_the_submitted_revision(org: Org, chief: User) -> None:
    waiver = _waived(org, chief, NOVEMBER)
    services.post_submit(post=waiver.post, by=org.officer)
    response = _client(org.manager).get(
        reverse("editorial:post", args=[waiver.post_id]), headers=EN
    )
    content = response.content.decode()
    assert 'class="finding block waived" data-rule="pii.email"' in content
    assert f"waived by {chief}: The institution&#x27;s own contact details" in content


def test_report_is_linked_from_the_menu_only_for_those_who_may_read_it(
    org: Org, chief: User
) -> None:
    link = reverse("editorial:waivers_report").encode()
    assert link in _client(chief).get(reverse("editorial:dashboard"), headers=EN).content
    assert link not in _client(org.officer).get(reverse("editorial:dashboard"), headers=EN).content

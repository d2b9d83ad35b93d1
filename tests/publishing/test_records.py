"""Records for the archives: the bundle, its audit segment, the command and who may export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import membership_create
from editorial import services
from editorial.models import AuditEvent, Post
from editorial.services import waivers
from publishing.models import Publication, PublicationState
from publishing.services.records import RecordsError, records_export
from tests.conftest import Org
from tests.factories import make_user

TRIGGER = "editorial_auditevent_append_only"
DAY = date(2026, 3, 2)  # FROZEN_NOW's day


def publish(org: Org, text: str, *, parts: int = 1) -> Post:
    """A post through the real workflow up to published; its outbox rows as the publisher
    leaves them (no network: the export reads what is recorded)."""
    post = services.post_create(by=org.officer, accounts=[org.mastodon], text=text)
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager)
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))
    post.refresh_from_db()
    assert post.scheduled_at is not None
    links = []
    for part in range(parts):
        url = f"https://social.example.gouv.fr/@sicom/{post.pk}{part}"
        Publication.objects.create(
            post=post,
            account=org.mastodon,
            part=part,
            state=PublicationState.PUBLISHED,
            text=f"{text} (part {part + 1}) — SICOM ^JD",
            byline="— SICOM ^JD",
            language="fr",
            byline_record=post.byline_record,
            scheduled_by=org.manager,
            due_at=post.scheduled_at,
            next_attempt_at=post.scheduled_at,
            remote_url=url,
            remote_id=f"{post.pk}{part}",
            published_at=post.scheduled_at,
        )
        links.append({"account": str(org.mastodon), "part": part, "url": url, "state": "published"})
    services.post_record_outcome(post_id=post.pk, published=True, details={"publications": links})
    post.refresh_from_db()
    return post


def export(org: Org, *, by: User | None = None, start: date = DAY, end: date = DAY) -> Any:
    out = io.BytesIO()
    done = records_export(account=org.mastodon, start=start, end=end, out=out, by=by)
    return done, zipfile.ZipFile(io.BytesIO(out.getvalue()))


def admin_of(org: Org) -> User:
    admin = make_user(username="records-admin", first_name="Anne", last_name="Archiviste")
    membership_create(user=admin, unit=org.service, role=Membership.Role.ADMIN)
    return admin


@pytest.mark.django_db
def test_records_bundle_holds_the_published_post_with_its_history(
    frozen_now: datetime, org: Org
) -> None:
    post = publish(org, "Les guichets ouvrent le 3 mars.", parts=2)
    services.post_create(by=org.officer, accounts=[org.mastodon], text="Un brouillon.")
    done, bundle = export(org)
    assert sorted(bundle.namelist()) == sorted(
        ["posts.json", "posts.csv", "summary.html", "audit.json", "manifest.json"]
    )
    data = json.loads(bundle.read("posts.json"))
    assert done.posts == 1 and [p["id"] for p in data["posts"]] == [post.pk]
    record = data["posts"][0]
    assert record["bylines"] == post.byline_record["signatures"]
    assert record["byline_record"]["author"]["initials"] == "JD"
    assert [r["text"] for r in record["revisions"]] == ["Les guichets ouvrent le 3 mars."]
    (approval,) = record["approvals"]
    assert approval["approver"]["name"] == "Marc Leroy" and approval["step"] is None
    assert approval["at"] == "2026-03-02T09:00:00+00:00"
    assert [(p["part"], p["remote_url"]) for p in record["parts"]] == [
        (1, f"https://social.example.gouv.fr/@sicom/{post.pk}0"),
        (2, f"https://social.example.gouv.fr/@sicom/{post.pk}1"),
    ]
    rows = list(
        csv.reader(io.StringIO(bundle.read("posts.csv").decode("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == 3 and rows[1][0] == str(post.pk) and rows[2][1] == "2"
    assert "Marc Leroy" in bundle.read("summary.html").decode()


@pytest.mark.django_db
def test_records_bundle_names_waivers_and_charter_version(frozen_now: datetime, org: Org) -> None:
    admin = admin_of(org)
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Écrivez à contact@mairie-exemple.fr."
    )
    waivers.waiver_grant(
        post=post,
        rule="pii.email",
        category="own_contact",
        justification="Adresse officielle du service.",
        by=admin,
    )
    post.refresh_from_db()
    publish_existing(org, post)
    _done, bundle = export(org, by=admin)
    record = json.loads(bundle.read("posts.json"))["posts"][0]
    assert [(w["rule"], w["granted_by"]["name"]) for w in record["waivers"]] == [
        ("pii.email", "Anne Archiviste")
    ]
    assert record["charter"] == {
        "name": post.byline_record.get("charter", ""),
        "version_id": post.byline_record.get("charter_version_id"),
    }


def publish_existing(org: Org, post: Post) -> None:
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager)
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))
    post.refresh_from_db()
    assert post.scheduled_at is not None
    Publication.objects.create(
        post=post,
        account=org.mastodon,
        state=PublicationState.PUBLISHED,
        text=post.title,
        byline="— SICOM ^JD",
        language="fr",
        scheduled_by=org.manager,
        due_at=post.scheduled_at,
        next_attempt_at=post.scheduled_at,
        published_at=post.scheduled_at,
    )
    services.post_record_outcome(post_id=post.pk, published=True, details={"publications": []})


@pytest.mark.django_db
def test_records_manifest_fingerprints_every_file(frozen_now: datetime, org: Org) -> None:
    publish(org, "Les guichets ouvrent le 3 mars.")
    done, bundle = export(org)
    manifest_bytes = bundle.read("manifest.json")
    files = json.loads(manifest_bytes)["files"]
    assert set(files) == {"posts.json", "posts.csv", "summary.html", "audit.json"}
    for name, entry in files.items():
        assert entry["sha256"] == hashlib.sha256(bundle.read(name)).hexdigest()
    assert done.manifest_sha256 == hashlib.sha256(manifest_bytes).hexdigest()


@pytest.mark.django_db
def test_records_audit_segment_covers_the_posts_and_verifies(
    frozen_now: datetime, org: Org
) -> None:
    first = publish(org, "Premier message.")
    services.post_create(by=org.officer, accounts=[org.bluesky], text="Autre compte.")
    last = publish(org, "Deuxième message.")
    done, bundle = export(org)
    audit = json.loads(bundle.read("audit.json"))
    seqs = [e["seq"] for e in audit["events"]]
    ours = AuditEvent.objects.filter(post__in=[first, last]).values_list("seq", flat=True)
    assert seqs == list(range(min(ours), max(ours) + 1))
    assert audit["verification"]["intact"] is True and done.segment.intact
    other = [e for e in audit["events"] if not e["exported"]]
    assert other and all(set(e) == {"seq", "prev_hash", "hash", "mac", "exported"} for e in other)


def _bypass_trigger() -> None:
    """Act as someone with database access; the test's rollback restores it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE editorial_auditevent DISABLE TRIGGER {TRIGGER}")
        else:
            cursor.execute(f"DROP TRIGGER {TRIGGER}")


@pytest.mark.django_db
def test_records_audit_segment_reports_a_tampered_event(frozen_now: datetime, org: Org) -> None:
    post = publish(org, "Les guichets ouvrent le 3 mars.")
    approved = AuditEvent.objects.get(post=post, verb="approved")
    _bypass_trigger()
    AuditEvent.objects.filter(pk=approved.pk).update(data={"revision": 1, "forged": True})
    done, bundle = export(org)
    verification = json.loads(bundle.read("audit.json"))["verification"]
    assert done.segment.intact is False and verification["intact"] is False
    assert f"seq {approved.seq}" in verification["problem"]
    assert "hash mismatch" in verification["problem"]
    assert json.loads(bundle.read("manifest.json"))["audit_segment_intact"] is False
    assert "BROKEN" in bundle.read("summary.html").decode()


@pytest.mark.django_db
def test_records_export_is_audited_with_who_and_what(frozen_now: datetime, org: Org) -> None:
    admin = admin_of(org)
    publish(org, "Les guichets ouvrent le 3 mars.")
    done, _bundle = export(org, by=admin, start=DAY - timedelta(days=3))
    event = AuditEvent.objects.get(verb="records_exported")
    assert event.actor == admin and event.post is None
    assert event.data["account_id"] == org.mastodon.pk
    assert (event.data["start"], event.data["end"], event.data["posts"]) == (
        "2026-02-27",
        "2026-03-02",
        1,
    )
    assert event.data["manifest_sha256"] == done.manifest_sha256


@pytest.mark.django_db
def test_records_export_queries_do_not_grow_with_posts(frozen_now: datetime, org: Org) -> None:
    publish(org, "Message 0.")
    with CaptureQueriesContext(connection) as one:
        export(org)
    for n in range(1, 20):
        publish(org, f"Message {n}.", parts=2 if n % 3 else 1)
    with CaptureQueriesContext(connection) as twenty:
        done, _bundle = export(org)
    assert done.posts == 20
    assert len(twenty) == len(one)


@pytest.mark.django_db
def test_records_export_refuses_in_words(frozen_now: datetime, org: Org) -> None:
    with pytest.raises(RecordsError, match="after the last day"):
        export(org, start=DAY, end=DAY - timedelta(days=1))
    with pytest.raises(RecordsError, match="may not export the records"):
        export(org, by=org.officer)
    assert not AuditEvent.objects.filter(verb="records_exported").exists()


# --- the command --------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_records_command_writes_the_zip(
    frozen_now: datetime, org: Org, tmp_path: Path
) -> None:
    publish(org, "Les guichets ouvrent le 3 mars.")
    out = io.StringIO()
    args = ["--account", f"@{org.mastodon.handle}", "--from", "2026-03-01", "--to", "2026-03-02"]
    call_command("export_records", *args, "--output", str(tmp_path), stdout=out)
    (written,) = tmp_path.iterdir()
    assert written.name == f"records-mastodon-{org.mastodon.handle}-20260301-20260302.zip"
    assert "1 post(s)" in out.getvalue() and "intact" in out.getvalue()
    assert json.loads(zipfile.ZipFile(written).read("manifest.json"))["posts"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--account", "nobody", "--from", "2026-03-01", "--to", "2026-03-02"], "No account"),
        (["--account", "{pk}", "--from", "2026-03-05", "--to", "2026-03-02"], "after the last"),
        (["--account", "{pk}", "--from", "2026-13-01", "--to", "2026-03-02"], "--from must be"),
        (
            [
                "--account",
                "{pk}",
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-02",
                "--output",
                "/nope",
            ],
            "not a folder",
        ),
    ],
)
def test_export_records_command_refuses_bad_arguments_in_words(
    org: Org, args: list[str], words: str
) -> None:
    args = [a.replace("{pk}", str(org.mastodon.pk)) for a in args]
    with pytest.raises(CommandError, match=words):
        call_command("export_records", *args)


# --- the page -----------------------------------------------------------------------------


def _client(user: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_records_page_lists_only_the_accounts_the_reader_may_export(org: Org) -> None:
    admin = admin_of(org)
    body = _client(admin).get(reverse("publishing:records")).content.decode()
    assert org.mastodon.handle in body and org.bluesky.handle in body
    refused = _client(org.manager).get(reverse("publishing:records")).content.decode()
    assert org.mastodon.handle not in refused and 'id="records-none"' in refused


@pytest.mark.django_db
def test_records_page_answers_the_zip(frozen_now: datetime, org: Org) -> None:
    admin = admin_of(org)
    publish(org, "Les guichets ouvrent le 3 mars.")
    data = {"account": org.mastodon.pk, "start": "2026-03-01", "end": "2026-03-02"}
    response = _client(admin).post(reverse("publishing:records"), data)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert json.loads(zipfile.ZipFile(io.BytesIO(content)).read("manifest.json"))["posts"] == 1


@pytest.mark.django_db
def test_records_page_refuses_an_account_out_of_reach_in_words(org: Org) -> None:
    data = {"account": org.mastodon.pk, "start": "2026-03-01", "end": "2026-03-02"}
    response = _client(org.manager).post(reverse("publishing:records"), data)
    assert response.status_code == 400
    assert "you may export the records of those only" in response.content.decode()
    assert not AuditEvent.objects.filter(verb="records_exported").exists()


@pytest.mark.django_db
def test_records_page_refuses_dates_in_the_wrong_order(org: Org) -> None:
    admin = admin_of(org)
    data = {"account": org.mastodon.pk, "start": "2026-03-05", "end": "2026-03-02"}
    response = _client(admin).post(reverse("publishing:records"), data)
    assert response.status_code == 400
    assert "The last day is before the first day" in response.content.decode()

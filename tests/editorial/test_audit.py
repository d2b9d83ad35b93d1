from __future__ import annotations

import itertools
import threading

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, connections, transaction

from editorial import services
from editorial.audit import GENESIS_HASH, BrokenLink, Problem, verify_chain
from editorial.models import AuditChainHead, AuditEvent, Post
from tests.conftest import Org

TRIGGER = "editorial_auditevent_append_only"


def _workflow(org: Org) -> Post:
    """Seven chained events, by people and by the publisher, with nested data."""
    post = services.post_create(
        by=org.officer, accounts=[org.mastodon], text="Les guichets ouvrent le 3 mars."
    )
    services.post_submit(post=post, by=org.officer)
    services.post_approve(post=post, by=org.manager)
    services.post_schedule(post=post, by=org.manager)
    with transaction.atomic():
        services.post_start_publishing(post=Post.objects.select_for_update().get(pk=post.pk))
    services.post_record_outcome(
        post_id=post.pk,
        published=True,
        details={
            "publications": [{"account": "@sicom", "url": "https://m.example/1", "état": "ok"}]
        },
    )
    services.post_create(by=org.officer, accounts=[org.bluesky], text="Deuxième annonce.")
    return post


def _verify() -> BrokenLink | None:
    head = AuditChainHead.objects.get()
    return verify_chain(AuditEvent.objects.order_by("seq"), head=(head.seq, head.hash))


def _bypass_trigger() -> None:
    """Act as someone with database access; the test's transaction rollback restores it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses to run while foreign key checks are still deferred.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE editorial_auditevent DISABLE TRIGGER {TRIGGER}")
        else:
            cursor.execute(f"DROP TRIGGER {TRIGGER}")


def _run_verify_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    """As from a shell (exit status, stderr), minus the final close of the test's connection."""
    monkeypatch.setattr(connections, "close_all", lambda: None)
    execute_from_command_line(["manage.py", "verify_audit"])


def _event(seq: int) -> AuditEvent:
    return AuditEvent.objects.get(seq=seq)


@pytest.mark.django_db
def test_audit_chain_links_every_event_of_a_workflow(org: Org) -> None:
    _workflow(org)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, 8))
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert _verify() is None
    assert AuditChainHead.objects.get().hash == events[-1].hash


@pytest.mark.django_db
def test_audit_verify_names_an_edited_row(org: Org) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=3).update(data={"revision": 1, "content_hash": "forged"})
    broken = _verify()
    assert broken is not None
    assert (broken.seq, broken.pk, broken.verb) == (3, _event(3).pk, "approved")
    assert broken.problem == Problem.EDITED


@pytest.mark.django_db
def test_audit_verify_names_the_row_after_a_deleted_one(org: Org) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=4).delete()
    broken = _verify()
    assert broken is not None
    assert (broken.seq, broken.pk) == (5, _event(5).pk)
    assert broken.problem == Problem.UNLINKED


@pytest.mark.django_db
def test_audit_verify_sees_events_deleted_from_the_end(org: Org) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq__gte=6).delete()
    broken = _verify()
    assert broken is not None
    assert (broken.seq, broken.problem) == (7, Problem.HEAD)


@pytest.mark.django_db
def test_verify_audit_command_reports_an_intact_chain(
    org: Org, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _workflow(org)
    _run_verify_audit(monkeypatch)  # no SystemExit: status 0
    head = AuditChainHead.objects.get().hash
    assert capsys.readouterr().out == f"Audit chain intact: 7 events, head {head}\n"


@pytest.mark.django_db
def test_verify_audit_command_exits_1_naming_the_tampered_row(
    org: Org, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=2).update(to_state="approved")
    with pytest.raises(SystemExit) as exited:
        _run_verify_audit(monkeypatch)
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"seq 2 (pk {_event(2).pk}, submitted): hash mismatch" in captured.err


@pytest.mark.django_db
def test_verify_audit_command_raises_command_error_when_called_from_code(org: Org) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=6).delete()
    with pytest.raises(CommandError, match=r"seq 7 .*prev_hash mismatch"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_audit_trigger_refuses_update(org: Org) -> None:
    _workflow(org)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(verb="forged")
    assert _event(1).verb == "created"


@pytest.mark.django_db
def test_audit_trigger_refuses_delete_on_postgres(org: Org) -> None:
    _workflow(org)
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(seq=1).delete()
        assert AuditEvent.objects.count() == 7
    else:
        # SQLite leaves DELETE to Django's flush (see the migration); the chain still tells.
        AuditEvent.objects.filter(seq=1).delete()
        broken = _verify()
        assert broken is not None
        assert (broken.seq, broken.problem) == (2, Problem.UNLINKED)


@pytest.mark.django_db
def test_audit_append_resumes_after_the_head_row_is_lost(org: Org) -> None:
    _workflow(org)
    AuditChainHead.objects.all().delete()
    services.post_create(by=org.officer, accounts=[org.mastodon], text="Après un flush.")
    assert AuditChainHead.objects.get().seq == 8
    assert _verify() is None


@pytest.mark.django_db(transaction=True)
def test_audit_concurrent_appends_make_one_chain(org: Org) -> None:
    per_thread, errors = 15, []

    def append(label: str) -> None:
        try:
            for i in range(per_thread):
                services.post_create(by=org.officer, accounts=[org.mastodon], text=f"{label} {i}")
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=append, args=(label,)) for label in ("A", "B")]
    # PostgreSQL: the two transactions race for the chain head. SQLite's shared in-memory test
    # database cannot hold two writers at once, so there they take turns (IMMEDIATE
    # transactions serialise real SQLite writers the same way).
    concurrent = connection.vendor == "postgresql"
    for thread in threads:
        thread.start()
        if not concurrent:
            thread.join()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(
        range(1, 2 * per_thread + 1)
    )
    assert _verify() is None

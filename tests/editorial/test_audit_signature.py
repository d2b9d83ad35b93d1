"""The audit chain signed with AUDIT_HMAC_KEY, and anchored to heads kept off the database."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from editorial.audit import (
    GENESIS_HASH,
    SIGNING_STARTED,
    BrokenLink,
    Problem,
    digest_of,
    event_digest,
    event_mac,
    verify_chain,
)
from editorial.models import AuditChainHead, AuditEvent
from editorial.tasks import log_audit_head
from tests.conftest import Org
from tests.editorial.test_audit import _bypass_trigger, _run_verify_audit, _workflow

pytestmark = pytest.mark.django_db


def _verify(*, key: str | None = None, exported: dict[int, str] | None = None) -> BrokenLink | None:
    head = AuditChainHead.objects.get()
    return verify_chain(
        AuditEvent.objects.order_by("seq"),
        head=(head.seq, head.hash),
        key=key,
        exported=exported,
    )


def _recompute_from(seq: int, *, sign: str | None) -> None:
    """What someone with write access to the database does after editing the row at ``seq``:
    every later hash recomputed, the head row too. ``sign``: "keep" the old signatures,
    "strip" them, or sign under a key they guessed."""
    before = AuditEvent.objects.filter(seq=seq - 1).first()
    prev = before.hash if before else GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        event.prev_hash = prev
        event.hash = prev = digest_of(event)
        if sign == "strip":
            event.mac = ""
        elif sign is not None and sign != "keep":
            event.mac = event_mac(sign, seq=event.seq, hash=event.hash)
        event.save(update_fields=["prev_hash", "hash", "mac"])
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    AuditChainHead.objects.filter(pk=AuditChainHead.ROW).update(seq=last.seq, hash=last.hash)


def _export(path: Path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("export_audit_head", stdout=out)
    with path.open("a") as heads:
        heads.write(out.getvalue())
    return out.getvalue()


def test_audit_events_are_signed_under_the_audit_key(org: Org) -> None:
    _workflow(org)
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) == 7
    for event in events:
        assert event.mac == event_mac(settings.AUDIT_HMAC_KEY, seq=event.seq, hash=event.hash)
    assert _verify(key=settings.AUDIT_HMAC_KEY) is None


@pytest.mark.parametrize("sign", ["keep", "strip", "a-key-guessed-by-the-intruder"])
def test_audit_a_row_rewritten_and_the_chain_recomputed_without_the_key_is_caught(
    org: Org, sign: str
) -> None:
    _workflow(org)
    _bypass_trigger()
    forged = AuditEvent.objects.get(seq=3)
    forged.data = {"revision": 1, "content_hash": "forged"}
    forged.save(update_fields=["data"])
    _recompute_from(3, sign=sign)

    assert _verify() is None  # the links alone agree again: the old weakness
    broken = _verify(key=settings.AUDIT_HMAC_KEY)
    assert broken is not None
    assert broken.problem == (Problem.UNSIGNED if sign == "strip" else Problem.FORGED)
    # Kept or guessed signatures do not hold there; stripped ones are missing after signed ones.
    assert broken.seq == 3


def test_audit_a_stripped_chain_signed_again_by_the_next_append_is_caught(org: Org) -> None:
    """Rewrite everything unsigned and let the application sign what it appends next."""
    from editorial import services

    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=2).update(verb="approved")
    _recompute_from(1, sign="strip")
    services.post_create(by=org.officer, accounts=[org.mastodon], text="Après la réécriture.")

    broken = _verify(key=settings.AUDIT_HMAC_KEY)
    assert broken is not None
    assert (broken.seq, broken.problem) == (8, Problem.UNSIGNED)
    assert "signing did not start here" in broken.detail


def test_audit_an_unsigned_event_after_signed_ones_is_caught(org: Org) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=5).update(mac="")
    broken = _verify(key=settings.AUDIT_HMAC_KEY)
    assert broken is not None
    assert (broken.seq, broken.problem) == (5, Problem.UNSIGNED)


def test_verify_audit_command_checks_the_signatures(
    org: Org, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=4).update(to_state="draft")
    _recompute_from(4, sign="keep")
    with pytest.raises(SystemExit) as exited:
        _run_verify_audit(monkeypatch)
    assert exited.value.code == 1
    assert "seq 4 (pk" in capsys.readouterr().err
    assert "signature mismatch" in str(_verify(key=settings.AUDIT_HMAC_KEY))


def test_verify_audit_with_heads_file_sees_a_truncated_chain(org: Org, tmp_path: Path) -> None:
    _workflow(org)
    heads = tmp_path / "heads.log"
    line = _export(heads)
    assert line.startswith("porte-voix audit head: seq=7 hash=")
    _bypass_trigger()
    # The last two events deleted and the head row set back: the database alone agrees.
    AuditEvent.objects.filter(seq__gte=6).delete()
    fifth = AuditEvent.objects.get(seq=5)
    AuditChainHead.objects.update(seq=5, hash=fifth.hash)
    call_command("verify_audit")  # no heads: nothing to see

    with pytest.raises(CommandError) as refused:
        call_command("verify_audit", "--heads", str(heads))
    assert "exported head mismatch" in str(refused.value)
    assert "exported at seq 7 but the chain ends at seq 5" in str(refused.value)


def test_verify_audit_with_heads_file_passes_on_an_intact_growing_chain(
    org: Org, tmp_path: Path
) -> None:
    from io import StringIO

    from editorial import services

    _workflow(org)
    heads = tmp_path / "heads.log"
    _export(heads)
    services.post_create(by=org.officer, accounts=[org.mastodon], text="Encore une.")
    _export(heads)
    out = StringIO()
    call_command("verify_audit", "--heads", str(heads), stdout=out)
    assert out.getvalue().startswith("Audit chain intact: 8 events")
    assert "2 exported head(s) found in it" in out.getvalue()


def test_verify_audit_heads_file_sees_a_rewritten_row_signed_by_the_head(
    org: Org, tmp_path: Path
) -> None:
    """An exported head pins its hash: a row rewritten before it shows even by seq."""
    _workflow(org)
    heads = tmp_path / "heads.log"
    _export(heads)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=7).update(data={"forged": True})
    _recompute_from(7, sign="keep")
    broken = _verify(exported={7: heads.read_text().split("hash=")[1][:64]})
    assert broken is not None
    assert (broken.seq, broken.problem) == (7, Problem.EXPORTED)


def test_verify_audit_refuses_a_heads_line_not_signed_by_the_key(org: Org, tmp_path: Path) -> None:
    _workflow(org)
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    heads = tmp_path / "heads.log"
    heads.write_text(f"porte-voix audit head: seq=9 hash={'a' * 64} mac={'b' * 64} at=x\n")
    with pytest.raises(CommandError, match=r"line 1: the head at seq 9 is not signed"):
        call_command("verify_audit", "--heads", str(heads))
    heads.write_text("nothing here\n")
    with pytest.raises(CommandError, match="No audit head found"):
        call_command("verify_audit", "--heads", str(heads))


def test_audit_head_logged_by_the_beat_is_a_heads_file(
    org: Org, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _workflow(org)
    with caplog.at_level(logging.INFO, logger="editorial.audit_heads"):
        log_audit_head()
    journal = tmp_path / "journal.txt"
    # As journalctl prints it: a prefix before the message.
    journal.write_text(
        "".join(f"déc. 05 01:00:00 host celery[42]: {r.getMessage()}\n" for r in caplog.records)
    )
    assert len(caplog.records) == 1
    call_command("verify_audit", "--heads", str(journal))
    _bypass_trigger()
    AuditEvent.objects.filter(seq=7).delete()
    AuditChainHead.objects.update(seq=6, hash=AuditEvent.objects.get(seq=6).hash)
    with pytest.raises(CommandError, match="events were deleted from the end"):
        call_command("verify_audit", "--heads", str(journal))


def test_export_audit_head_refuses_a_forged_last_event(org: Org, tmp_path: Path) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=7).update(verb="forged")
    _recompute_from(7, sign="keep")
    with pytest.raises(CommandError, match=r"seq 7\) does not carry a valid hash and signature"):
        _export(tmp_path / "heads.log")


# --- An audit trail written before signing began -----------------------------------------


def _legacy_chain(org: Org, count: int = 4) -> None:
    """Unsigned events as the code before migration 0023 wrote them."""
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        fields: dict[str, Any] = {
            "seq": seq,
            "prev_hash": prev,
            "post_id": None,
            "actor_id": org.officer.pk,
            "on_behalf_of_id": None,
            "verb": "created",
            "from_state": "",
            "to_state": "draft",
            "data": {"n": seq},
            "created_at": timezone.now(),
        }
        prev = event_digest(**fields)
        AuditEvent.objects.create(**fields, hash=prev, mac="")
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": count, "hash": prev})


def _sign_existing_chain() -> None:
    migration = importlib.import_module("editorial.migrations.0023_audit_event_signature")
    migration.sign_existing_chain(apps, SimpleNamespace(connection=connection))


def test_audit_an_old_chain_still_verifies_once_signing_starts(org: Org) -> None:
    from editorial import services

    _legacy_chain(org)
    assert _verify() is None
    _sign_existing_chain()
    started = AuditEvent.objects.get(seq=5)
    assert (started.verb, started.data) == (SIGNING_STARTED, {"unsigned_events": 4})
    assert _verify(key=settings.AUDIT_HMAC_KEY) is None
    services.post_create(by=org.officer, accounts=[org.mastodon], text="Après la migration.")
    assert AuditEvent.objects.get(seq=6).mac
    assert _verify(key=settings.AUDIT_HMAC_KEY) is None
    call_command("verify_audit")


def test_audit_an_old_event_rewritten_after_signing_started_is_caught(org: Org) -> None:
    _legacy_chain(org)
    _sign_existing_chain()
    _bypass_trigger()
    AuditEvent.objects.filter(seq=2).update(data={"n": "forged"})
    _recompute_from(2, sign="keep")
    broken = _verify(key=settings.AUDIT_HMAC_KEY)
    assert broken is not None
    # The unsigned row cannot tell; the signed event after it can.
    assert (broken.seq, broken.verb, broken.problem) == (5, SIGNING_STARTED, Problem.FORGED)


def test_audit_an_old_chain_with_its_signed_event_cut_off_is_caught(org: Org) -> None:
    _legacy_chain(org)
    _sign_existing_chain()
    _bypass_trigger()
    AuditEvent.objects.filter(seq=5).delete()
    AuditChainHead.objects.update(seq=4, hash=AuditEvent.objects.get(seq=4).hash)
    broken = _verify(key=settings.AUDIT_HMAC_KEY)
    assert broken is not None
    assert (broken.seq, broken.problem) == (4, Problem.UNSIGNED)


def test_audit_signing_an_empty_chain_appends_nothing(db: None) -> None:
    _sign_existing_chain()
    assert not AuditEvent.objects.exists()


def test_audit_head_log_reports_a_forged_last_event_instead_of_logging_it(
    org: Org, caplog: pytest.LogCaptureFixture
) -> None:
    _workflow(org)
    _bypass_trigger()
    AuditEvent.objects.filter(seq=7).update(mac="")
    with caplog.at_level(logging.INFO, logger="editorial.audit_heads"):
        log_audit_head()
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert "seq 7" in caplog.records[0].getMessage()
    assert "audit head: seq=" not in caplog.text


def test_export_audit_head_of_an_empty_trail_says_so(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="empty"):
        _export(tmp_path / "heads.log")

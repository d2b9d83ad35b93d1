"""The audit chain's signed head, to record out of the database (editorial/audit.py).

``export_audit_head`` prints it and a beat task logs it every AUDIT_HEAD_LOG_SECONDS; kept
in a file or the system journal, those lines are what ``verify_audit --heads`` compares the
chain with, and what shows a tail deleted together with the head row.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.utils import timezone

from editorial.audit import ExportedHead, digest_of, event_mac, head_line
from editorial.models import AuditEvent

logger = logging.getLogger(__name__)


class AuditHeadError(Exception):
    """The last event does not hold on its own: exporting it would anchor a forgery."""


def audit_head_signed() -> ExportedHead | None:
    """The last event as a head, once its own hash and signature are checked; None if empty.

    Only the last event is checked (one row, cheap enough for a periodic task): its signature
    vouches for every hash before it; ``verify_audit`` checks that the rows match them.
    """
    last = AuditEvent.objects.order_by("-seq").first()
    if last is None:
        return None
    expected = event_mac(settings.AUDIT_HMAC_KEY, seq=last.seq, hash=last.hash)
    if digest_of(last) != last.hash or not hmac.compare_digest(last.mac, expected):
        raise AuditHeadError(
            f"The last audit event (seq {last.seq}) does not carry a valid hash and signature: "
            "not exporting it. Run manage.py verify_audit."
        )
    return ExportedHead(last.seq, last.hash, last.mac)


def audit_head_log() -> None:
    """Write the signed head to the log (the journal keeps it out of the database)."""
    try:
        head = audit_head_signed()
    except AuditHeadError as exc:
        logger.error("%s", exc)
        return
    if head is not None:
        logger.info("%s", head_line(seq=head.seq, hash=head.hash, mac=head.mac, at=timezone.now()))

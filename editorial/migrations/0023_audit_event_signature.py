# Signs the audit chain (issue #13): each event's HMAC under AUDIT_HMAC_KEY, a key kept out of
# the database. The events already there cannot be signed in place (the table refuses UPDATE),
# so one signed event is appended after them: its hash covers theirs through prev_hash, so its
# signature vouches for them (editorial/audit.py).

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from editorial.audit import SIGNING_STARTED, event_digest, event_mac

TRIGGER = "editorial_auditevent_append_only"
# SQLite rebuilds the table to add a column, which drops its triggers: create it again
# (the same trigger as migration 0002).
SQLITE_TRIGGER = f"""
CREATE TRIGGER IF NOT EXISTS {TRIGGER} BEFORE UPDATE ON editorial_auditevent
BEGIN SELECT RAISE(ABORT, 'editorial_auditevent is append-only: UPDATE refused'); END;
"""


def sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER, params=None)


def sign_existing_chain(apps, schema_editor):
    """Append ``audit_signing_started``, signed, after the events written until now."""
    alias = schema_editor.connection.alias
    AuditEvent = apps.get_model("editorial", "AuditEvent")
    AuditChainHead = apps.get_model("editorial", "AuditChainHead")
    last = AuditEvent.objects.using(alias).order_by("-seq").first()
    if last is None:
        return  # a new chain is signed from its first event
    fields = {
        "seq": last.seq + 1,
        "prev_hash": last.hash,
        "post_id": None,
        "actor_id": None,
        "on_behalf_of_id": None,
        "verb": SIGNING_STARTED,
        "from_state": "",
        "to_state": "",
        "data": {"unsigned_events": last.seq},
        "created_at": timezone.now(),
    }
    digest = event_digest(**fields)
    AuditEvent.objects.using(alias).create(
        **fields,
        hash=digest,
        mac=event_mac(settings.AUDIT_HMAC_KEY, seq=fields["seq"], hash=digest),
    )
    AuditChainHead.objects.using(alias).update_or_create(
        pk=1, defaults={"seq": fields["seq"], "hash": digest}
    )


class Migration(migrations.Migration):

    dependencies = [
        ('editorial', '0022_notification_email_delivery'),
    ]

    operations = [
        # Backwards, removing the column rebuilds the table again: the trigger comes back here.
        migrations.RunPython(migrations.RunPython.noop, sqlite_trigger),
        migrations.AddField(
            model_name='auditevent',
            name='mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.RunPython(sqlite_trigger, migrations.RunPython.noop),
        migrations.RunPython(sign_existing_chain, migrations.RunPython.noop),
    ]

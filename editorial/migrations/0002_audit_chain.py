# Hash-chains the audit trail (issue #3): seq, prev_hash and hash on every event, a one-row
# chain head that appends lock, a backfill of existing events, and append-only triggers.

import django.utils.timezone
from django.db import migrations, models

from editorial.audit import GENESIS_HASH, digest_of

TRIGGER = "editorial_auditevent_append_only"

# PostgreSQL refuses UPDATE and DELETE. TRUNCATE (the test database flush) is not affected.
POSTGRES_TRIGGER = f"""
CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'editorial_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON editorial_auditevent
    FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
"""
POSTGRES_DROP = (
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON editorial_auditevent; "
    f"DROP FUNCTION IF EXISTS {TRIGGER}();"
)

# SQLite refuses UPDATE only: Django flushes SQLite with DELETE FROM (transactional tests,
# `manage.py flush`), which a DELETE trigger would break. verify_audit still sees a deletion.
# Careful: SQLite rebuilds a table to alter it, which drops its triggers; a later migration
# that alters AuditEvent must create this trigger again (tests/editorial/test_audit.py fails
# if it is missing).
SQLITE_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON editorial_auditevent
BEGIN SELECT RAISE(ABORT, 'editorial_auditevent is append-only: UPDATE refused'); END;
"""
SQLITE_DROP = f"DROP TRIGGER IF EXISTS {TRIGGER};"


def backfill_chain(apps, schema_editor):
    """Chain the existing events in the order they were written, and record the head."""
    AuditEvent = apps.get_model("editorial", "AuditEvent")
    AuditChainHead = apps.get_model("editorial", "AuditChainHead")
    events = AuditEvent.objects.using(schema_editor.connection.alias)
    pks = list(events.order_by("created_at", "pk").values_list("pk", flat=True))
    seq, prev_hash = 0, GENESIS_HASH
    for start in range(0, len(pks), 1000):
        batch = events.in_bulk(pks[start : start + 1000])
        chained = []
        for pk in pks[start : start + 1000]:
            event = batch[pk]
            seq += 1
            event.seq, event.prev_hash = seq, prev_hash
            event.hash = prev_hash = digest_of(event)
            chained.append(event)
        events.bulk_update(chained, ["seq", "prev_hash", "hash"])
    AuditChainHead.objects.using(schema_editor.connection.alias).create(
        pk=1, seq=seq, hash=prev_hash
    )


def create_triggers(apps, schema_editor):
    sql = {"postgresql": POSTGRES_TRIGGER, "sqlite": SQLITE_TRIGGER}.get(
        schema_editor.connection.vendor
    )
    if sql:
        schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    sql = {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('editorial', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(default=0)),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='audit_chain_head_single_row')],
            },
        ),
        migrations.AlterModelOptions(
            name='auditevent',
            options={'ordering': ['seq']},
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='created_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(backfill_chain, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(max_length=64, unique=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]

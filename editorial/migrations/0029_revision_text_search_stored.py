"""The revisions' French full-text vector, stored: a generated column and its GIN index.

The search page computed ``to_tsvector`` for every visible post to filter and again for every
match to rank (about 20 ms of a 50 ms page at 100,000 posts); it now reads the column. The
expression index of migration 0026 is then unused: dropped here (and rebuilt if this
migration is reversed). Adding a stored generated column rewrites the table and building the
index blocks writes: docs/operations.md "Search index" says how to do both on a large
database. On SQLite the column is always NULL and there is no index.
"""

from __future__ import annotations

import django.contrib.postgres.search
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import editorial.models.text_search

INDEX = "editorial_revision_text_search_gin"
OLD_INDEX = "editorial_revision_text_french"
OLD_EXPRESSION = (
    "to_tsvector('french'::regconfig, "
    "translate(text, 'ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ', 'àâäçéèêëîïôöùûüÿæœ'))"
)


def create_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON editorial_revision USING gin (text_search)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")


def drop_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON editorial_revision "
        f"USING gin ({OLD_EXPRESSION})"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("editorial", "0028_approval_policy_reschedule_rule")]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="text_search",
            field=models.GeneratedField(
                db_persist=True,
                expression=editorial.models.text_search.FrenchVector(models.F("text")),
                output_field=django.contrib.postgres.search.SearchVectorField(),
                verbose_name="text as searched",
            ),
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]

"""The French full-text index of the revisions' text, for the search page (PostgreSQL only).

Its expression was the search's own SQL (accented capitals folded first), so the planner used
it, until migration 0029 stored the vector in a generated column with its own index and dropped
this one. On SQLite (the demo) there is no full-text search, and this migration does nothing.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEX = "editorial_revision_text_french"


def create_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON editorial_revision "
        "USING gin (to_tsvector('french'::regconfig, "
        "translate(text, 'ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ', 'àâäçéèêëîïôöùûüÿæœ')))"
    )


def drop_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("editorial", "0025_post_creation_token")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

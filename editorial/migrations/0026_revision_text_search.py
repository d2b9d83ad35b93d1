"""The French full-text index of the revisions' text, for the search page (PostgreSQL only).

Its expression is exactly ``editorial.selectors.search.text_vector()``'s SQL (accented
capitals folded first: see there), so the planner uses it. On SQLite (the demo) there is no full-text search: the page falls back to a plain
"contains", and this migration does nothing.
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

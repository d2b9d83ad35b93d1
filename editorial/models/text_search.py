"""The French full-text vector of a revision's text, stored in ``Revision.text_search``.

Computed by the database when a revision is written (a generated column), so the search page
reads the vector instead of computing it for every post it filters and ranks: that was most
of the page's database time at 100,000 posts (docs/benchmarks.md "Search: the stored
vector"). On SQLite (the newcomer's demo) the column is always NULL: the search falls back to
a plain "contains" there.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchVectorField
from django.db.models import Func

# The text search configuration: the posts are written in French.
SEARCH_CONFIG = "french"

# Capitals with accents, folded to lower case before the French dictionary reads the text:
# PostgreSQL folds only ASCII when the database's locale is C (as the test clusters are:
# ``initdb --no-locale``), and "Élection" would then never match "élection".
FOLD_FROM = "ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
FOLD_TO = "àâäçéèêëîïôöùûüÿæœ"


class FrenchVector(Func):
    """``to_tsvector('french'::regconfig, translate(text, …))``, every constant written in
    the SQL: a generated column's expression must be immutable and take no parameter
    (Django's ``SearchVector`` sends its configuration as one)."""

    function = "to_tsvector"
    template = (
        f"%(function)s('{SEARCH_CONFIG}'::regconfig, "
        f"translate(%(expressions)s, '{FOLD_FROM}', '{FOLD_TO}'))"
    )
    output_field = SearchVectorField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        # SQLite has no full-text vector: the column exists (the model is the same on every
        # database) and stays empty.
        return "NULL", []

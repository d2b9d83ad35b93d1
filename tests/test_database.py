"""The PostgreSQL connection prepares the statements it runs often (config/settings.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User


@pytest.mark.django_db
def test_a_statement_run_often_is_prepared_on_the_server() -> None:
    assert connection.vendor == "postgresql"  # make test runs on a real PostgreSQL

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            row = cursor.fetchone()
        assert row is not None
        return int(row[0])

    before = prepared()
    for n in range(6):
        User.objects.filter(username=f"nobody-{n}").exists()
    # Parsed and planned once, then only executed: psycopg prepares it after 5 runs.
    assert prepared() > before

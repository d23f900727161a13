"""Project-wide checks: migrations match the models, Django's system checks pass, and no day is taken from a UTC timestamp."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail("Model changes without migrations:\n" + out.getvalue())


def test_system_checks_pass():
    call_command("check", "--fail-level", "WARNING")


def test_no_calendar_day_taken_from_a_utc_timestamp():
    """Timestamps are stored in UTC; a day, year or month taken from one directly is yesterday's between
    00:00 and 08:00 in Putian. Every such value goes through timezone.localtime / localdate first."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"(\b\w+_at|timezone\.now\(\))\.(date\(\)|(?:year|month|day|hour)\b)")
    offenders = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for folder in ("src", "tests", "bench")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "Use timezone.localtime(...) before taking the day:\n" + "\n".join(offenders)


@pytest.mark.django_db
def test_migrate_restores_planner_statistics_that_a_table_rebuild_dropped():
    """On SQLite, altering a column rebuilds its table without statistics; the planner then chooses badly."""
    from django.db import connection

    from parcelwatch.lib.apps import refresh_planner_statistics

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its statistics across ALTER TABLE")
    from parcelwatch.accounts.models import Jurisdiction

    Jurisdiction.objects.create(code="990000", name="测试", level="district", path="990000/")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'accounts_jurisdiction'")
        refresh_planner_statistics(using=connection.alias)
        cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'accounts_jurisdiction'")
        assert cursor.fetchone()[0] > 0

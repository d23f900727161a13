"""An event's facts: whether a report repeats an earlier one (same site, same category, within a year)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from parcelwatch.analytics.models import EventFact
from parcelwatch.analytics.services import REPEAT_WINDOW, _is_repeat
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import report_event

from .conftest import photo

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _reference(event: Event) -> bool:
    """The rule, as the ORM states it."""
    day = timezone.localdate(event.reported_at)
    return EventFact.objects.filter(
        site_id=event.site_id, category_id=event.category_id, reported_on__gte=day - REPEAT_WINDOW,
        reported_on__lte=day,
    ).exclude(event_id=event.pk).filter(
        Q(event__reported_at__lt=event.reported_at) | Q(event__reported_at=event.reported_at, event_id__lt=event.pk)
    ).exists()


def test_a_report_repeats_an_earlier_one_of_the_same_problem_at_the_same_site_within_a_year(cast):
    ba02, rs01 = EventCategory.objects.get(code="BA02"), EventCategory.objects.get(code="RS01")
    grid = cast.hanjiang_grid

    def report(when, site=None, category=ba02, actor=grid):
        return report_event(actor=actor, site=site or cast.hanjiang_outlet, category=category, description="地址不符",
                            photos=photo(actor), when=when)

    first = report(datetime(2026, 3, 2, 9, tzinfo=SH))
    same_day_later = report(datetime(2026, 3, 2, 15, tzinfo=SH))
    same_instant = report(datetime(2026, 3, 2, 15, tzinfo=SH))  # the same minute: the smaller id came first
    other_category = report(datetime(2026, 3, 3, 9, tzinfo=SH), category=rs01)
    other_site = report(datetime(2026, 3, 3, 9, tzinfo=SH), site=cast.hanjiang_outlet_g2,
                        actor=cast.hanjiang_officer)
    back_dated = report(datetime(2026, 3, 1, 9, tzinfo=SH))  # reported later, about a day before the first
    next_year = report(datetime(2027, 3, 3, 9, tzinfo=SH))  # more than a year after the last one
    within_year = report(datetime(2027, 3, 2, 9, tzinfo=SH) - timedelta(hours=1))  # 2 March 2027, 08:00
    # Two reports of the same instant with nothing before them: only the one with the larger id repeats.
    tie = datetime(2026, 6, 1, 10, 0, 0, 123456, tzinfo=SH)
    tie_a, tie_b = (report(tie, site=cast.hanjiang_outlet_g2, category=rs01, actor=cast.hanjiang_officer)
                    for _ in range(2))

    repeats = {e.pk: EventFact.objects.get(event_id=e.pk).repeat_candidate for e in (
        first, same_day_later, same_instant, other_category, other_site, back_dated, next_year, within_year, tie_a,
        tie_b)}
    assert repeats == {first.pk: False, same_day_later.pk: True, same_instant.pk: True, other_category.pk: False,
                       other_site.pk: False, back_dated.pk: False, next_year.pk: False, within_year.pk: True,
                       tie_a.pk: False, tie_b.pk: True}

    # Asked again now that every report is in, the SQL and the ORM agree on each of them.
    for event in Event.objects.all():
        assert _is_repeat(event, timezone.localdate(event.reported_at)) == _reference(event), event.reported_at
    # Now the first report has the back-dated one before it, and the one of 3 March 2027 has the one of 2 March
    # 2027; the one of 3 March 2027 still does not reach back to 2 March 2026 (a year is 365 days before its day).
    assert _is_repeat(first, timezone.localdate(first.reported_at))
    assert _is_repeat(next_year, timezone.localdate(next_year.reported_at))
    within_year.delete()
    assert not _is_repeat(next_year, timezone.localdate(next_year.reported_at))
    assert _reference(next_year) is False


def test_the_rollup_upsert_stays_short_enough_for_psycopg_to_cache_its_parsing():
    """Every report runs it five times; past these limits psycopg parses it again each time (a measure or a
    dimension more can cross them: then split the statement)."""
    from psycopg import _queries

    from parcelwatch.analytics.services import KEY_COLUMNS, MEASURES, _upsert_sql

    everything = _upsert_sql(MEASURES)  # the longest: a change of every measure
    assert len(everything.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert everything.count("%s") == len(KEY_COLUMNS) + len(MEASURES) <= _queries.MAX_CACHED_STATEMENT_PARAMS
    # A report's: its two changed measures as parameters, the others as constants that the update leaves alone.
    report = _upsert_sql(("reported", "st_reported"))
    assert report.count("%s") == len(KEY_COLUMNS) + 2 and report.count(" + EXCLUDED.") == 2


@pytest.mark.skipif(connection.vendor != "postgresql"
                    or not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"),
                    reason="PostgreSQL's plan cache, with prepared statements")
def test_the_repeat_check_at_a_busy_site_keeps_its_prepared_plan(cast):
    """At a site with many facts among many quiet sites, PostgreSQL must take the check's generic plan instead of
    planning it again on every report. (It planned it every time while the check joined the events: this test
    fails on that statement.)"""
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet,
                         category=EventCategory.objects.get(code="BA02"), description="地址不符",
                         photos=photo(cast.hanjiang_grid))
    table = EventFact._meta.db_table
    columns = [f.column for f in EventFact._meta.concrete_fields]
    copied = ", ".join({"event_id": "%s + g", "site_id": "%s"}.get(c, c) for c in columns)
    day = timezone.localdate(event.reported_at)
    with transaction.atomic(), connection.cursor() as cursor:  # rolled back at the end, whatever happens
        # 3,000 facts at this site, and 3,000 spread over 1,000 other sites (copies of the report's facts; they
        # name no event, and go before the foreign keys are checked).
        for site_id, first_id in ((event.site_id, 10**9), (f"{10**8} + g %% 1000", 2 * 10**9)):
            cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT "
                           + copied.replace("%s + g", f"{first_id} + g").replace("%s", str(site_id))
                           + f" FROM {table}, generate_series(1, 3000) g WHERE event_id = %s", [event.pk])
        cursor.execute(f"ANALYZE {table}")
        # psycopg prepares it at the 6th run; PostgreSQL then tries five custom plans. (Checked below, after the
        # clean-up: none of the copies came before it.)
        answers = [_is_repeat(event, day) for _ in range(15)]
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                       "WHERE statement LIKE %s", [f"SELECT 1 FROM %{table}%"])
        plans = cursor.fetchall()
        # The table's row count that ANALYZE noted outlives a rollback: note the real one again.
        cursor.execute(f"DELETE FROM {table} WHERE event_id >= %s", [10**9])
        cursor.execute(f"ANALYZE {table}")
        transaction.set_rollback(True)
    assert answers == [False] * 15
    assert len(plans) == 1 and plans[0][0] >= 4 and plans[0][1] <= 5, plans

"""Keeping the statistics true: every change of an event updates its facts and the rollups,
inside the transaction of that change."""

from __future__ import annotations

import functools
import itertools
import logging
from collections import defaultdict
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from parcelwatch.events.models import Event
from parcelwatch.lib.queries import kept_cursor, unique_or_none

from . import grains
from .measures import MEASURES, event_measures, month_of
from .models import EventFact, StatsCube

logger = logging.getLogger(__name__)
REPEAT_WINDOW = timedelta(days=365)


def _dimensions(event: Event) -> dict:
    site = event.site
    return {"district_id": event.district_id, "category_id": event.category_id, "brand_id": site.brand_id or 0,
            "enterprise_id": site.enterprise_id or 0, "reporter_id": event.reported_by_id,
            "source": event.source, "level": event.handled_level}


def _is_repeat(event: Event, reported_on) -> bool:
    """An earlier report of the same category at the same site within the window (earlier: reported before it, or
    at the same instant with a smaller id).

    Written in SQL: it runs with every report, and building the same query through the ORM cost more than running
    it (tested against the ORM's answer in tests/analytics/test_facts.py).

    The earlier event's time is read by a subquery on its primary key, not a join. With the join, PostgreSQL kept
    planning the prepared statement again on every report at a busy site (its custom plan always looked cheaper
    than the generic one), and planning the join cost about 0.3 ms of the database's CPU, over ten times the
    statement's execution (docs/benchmarks.md, fourth round). With the subquery a custom plan costs about as much
    as the generic one, which PostgreSQL then takes once psycopg has prepared the statement (at its sixth run on a
    connection; a rollback starts the count again) and five custom plans have been tried."""
    ops = connection.ops
    at = ops.adapt_datetimefield_value(event.reported_at)
    cursor = kept_cursor()
    cursor.execute(_repeat_sql(), [
        event.site_id, event.category_id, ops.adapt_datefield_value(reported_on - REPEAT_WINDOW),
        ops.adapt_datefield_value(reported_on), event.pk, at, at, event.pk])
    return cursor.fetchone() is not None


@functools.cache
def _repeat_sql() -> str:
    ops = connection.ops
    fact, ev = (ops.quote_name(m._meta.db_table) for m in (EventFact, Event))
    col = {name: ops.quote_name(field.column) for name, field in (
        ("fact_event", EventFact._meta.get_field("event")), ("site", EventFact._meta.get_field("site_id")),
        ("category", EventFact._meta.get_field("category_id")), ("day", EventFact._meta.get_field("reported_on")),
        ("at", Event._meta.get_field("reported_at")), ("pk", Event._meta.pk))}
    return (f"SELECT 1 FROM {fact} "
            f"WHERE {fact}.{col['site']} = %s AND {fact}.{col['category']} = %s AND {fact}.{col['day']} >= %s "
            f"AND {fact}.{col['day']} <= %s AND {fact}.{col['fact_event']} <> %s "
            f"AND (SELECT {ev}.{col['at']} < %s OR ({ev}.{col['at']} = %s AND {ev}.{col['pk']} < %s) "
            f"FROM {ev} WHERE {ev}.{col['pk']} = {fact}.{col['fact_event']}) LIMIT 1")


def record_event_facts(event: Event, *, created: bool = False) -> None:
    """Bring the event's facts and every rollup it counts in up to date (call inside the event's transaction,
    with the event row locked). `created`: the event was created in this transaction, so it has no facts yet."""
    fact = None if created else unique_or_none(EventFact.objects.select_for_update().filter(event_id=event.pk))
    if fact is None:
        reported_on = timezone.localdate(event.reported_at)
        month = month_of(event.reported_at)
        new_dims = _dimensions(event)
        repeat = _is_repeat(event, reported_on)
        new = event_measures(event, repeat=repeat)
        _insert_fact(event, reported_on=reported_on, month=month, dims=new_dims, measures=new, repeat=repeat)
        old = None
    else:
        month = fact.month
        old = ({d: getattr(fact, d) for d in grains.DIMENSIONS}, {m: getattr(fact, m) for m in MEASURES})
        new_dims = {**old[0], "level": event.handled_level}
        new = event_measures(event, repeat=_stored_repeat(fact))
        if old == (new_dims, new):
            return
        for name, value in {**new_dims, **new}.items():
            setattr(fact, name, value)
        fact.save()
    changes: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for grain in grains.GRAINS:
        if old is not None:
            k = tuple(sorted(grains.key(grain, month, old[0]).items()))
            for m, v in old[1].items():
                changes[k][m] -= v
        k = tuple(sorted(grains.key(grain, month, new_dims).items()))
        for m, v in new.items():
            changes[k][m] += v
    # A fixed order of rows: two transactions updating the same rows never wait on each other in a cycle.
    _add_all([(dict(k), changes[k]) for k in sorted(changes) if any(changes[k].values())])


def _insert_fact(event: Event, *, reported_on, month: int, dims: dict, measures: dict[str, int], repeat: bool) -> None:
    """A new event's facts: one INSERT whose measures at zero are constants in the statement (as in _add_all).

    Every report writes one; through the ORM, preparing the fifty values of the row cost more than the database
    spends storing it."""
    changed = tuple(m for m in MEASURES if measures[m])
    row = {"event_id": event.pk, "jurisdiction_id": event.jurisdiction_id, "site_id": event.site_id,
           "reported_on": connection.ops.adapt_datefield_value(reported_on), "month": month,
           "repeat_candidate": bool(repeat), **dims, **{m: measures[m] for m in changed}}
    sql, names = _fact_sql(changed)
    kept_cursor().execute(sql, [row[name] for name in names])


@functools.lru_cache(maxsize=512)
def _fact_sql(changed: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The INSERT of a fact whose measures other than `changed` are 0, and the fields its parameters are, in order:
    every column of the table (a field added to EventFact without a value here fails the insert loudly). Names are
    quoted alike by SQLite and PostgreSQL, the two databases the statement is made for."""
    quote = connection.ops.quote_name
    fields = EventFact._meta.concrete_fields
    constant = {f.attname for f in fields if f.attname in MEASURES and f.attname not in changed}
    names = tuple(f.attname for f in fields if f.attname not in constant)
    return (f"INSERT INTO {quote(EventFact._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES ("
            + ", ".join("0" if f.attname in constant else "%s" for f in fields) + ")"), names


def _stored_repeat(fact: EventFact) -> bool:
    return bool(fact.repeat_candidate)


KEY_COLUMNS = ("grain", "month", *grains.DIMENSIONS)  # the cube_key constraint, in its order


def _add_all(rows: list[tuple[dict, dict[str, int]]]) -> None:
    """Add each delta to its rollup row, creating the rows that do not exist yet (an upsert on the cube's key:
    SQLite and PostgreSQL both have ON CONFLICT), in the order given.

    One statement of one row, executed for each row (psycopg sends them together): a statement of all the rows
    had too many parameters for psycopg to cache its parsing, which cost more than running it. A statement carries
    only the measures its rows change (a report changes two or three of the 37): the others are constants, and the
    update leaves them alone."""
    if not rows:
        return
    cursor = kept_cursor()
    for changed, run in itertools.groupby(rows, key=lambda row: tuple(m for m in MEASURES if row[1].get(m, 0))):
        params = [[key[n] for n in KEY_COLUMNS] + [delta[m] for m in changed] for key, delta in run]
        cursor.executemany(_upsert_sql(changed), params)


@functools.lru_cache(maxsize=512)
def _upsert_sql(changed: tuple[str, ...]) -> str:
    table = connection.ops.quote_name(StatsCube._meta.db_table)
    column = {f.name: connection.ops.quote_name(f.column) for f in StatsCube._meta.concrete_fields}
    names = [*KEY_COLUMNS, *MEASURES]
    values = ["%s"] * len(KEY_COLUMNS) + ["%s" if m in changed else "0" for m in MEASURES]
    return (f"INSERT INTO {table} ({', '.join(column[n] for n in names)}) VALUES ({', '.join(values)})"
            + f" ON CONFLICT ({', '.join(column[n] for n in KEY_COLUMNS)}) DO UPDATE SET "
            + ", ".join(f"{column[m]} = {table}.{column[m]} + EXCLUDED.{column[m]}" for m in changed))


# --- rebuilding -----------------------------------------------------------------------------------------------

BATCH = 5000
FACT_COLUMNS = ("pk", "site_id", "category_id", "district_id", "jurisdiction_id", "reported_by_id", "reported_at",
                "source", "state", "handled_level", "closure_level", "decided_at", "letter_at", "rectified_at",
                "escalated_at", "awaiting_since", "closed_at", "missed_deadline", "rework_count")


def rebuild_statistics(*, progress=None) -> dict[str, int]:
    """Recompute every fact from its event, then every rollup from the facts (after a bulk load or an upgrade).

    Run it while nobody is working: it replaces every row in one transaction, and a change of an event made
    meanwhile waits for it. It is also what recomputes the repeat flag of events reported before an earlier,
    back-dated report of the same problem (live, a report only looks back)."""
    with transaction.atomic():
        kept = {row[0]: row[1:] for row in EventFact.objects.values_list(
            "event_id", "brand_id", "enterprise_id", "repeat_candidate").iterator(chunk_size=BATCH)}
        EventFact.objects.all().delete()
        last_seen: dict[tuple[int, int], object] = {}
        rows: list[EventFact] = []
        done = 0
        # Only the columns the measures read: the function also runs in a migration, before later columns exist.
        events = (Event.objects.order_by("reported_at", "pk").select_related("site")
                  .only(*FACT_COLUMNS, "site__brand_id", "site__enterprise_id").iterator(chunk_size=BATCH))
        for event in events:
            reported_on = timezone.localdate(event.reported_at)
            pair = (event.site_id, event.category_id)
            previous = last_seen.get(pair)
            repeat = previous is not None and previous >= reported_on - REPEAT_WINDOW
            last_seen[pair] = reported_on
            dims = _dimensions(event)
            if event.pk in kept:  # who it counted for stays as recorded when it was reported
                dims["brand_id"], dims["enterprise_id"] = kept[event.pk][0], kept[event.pk][1]
            fact = EventFact(event_id=event.pk, jurisdiction_id=event.jurisdiction_id, site_id=event.site_id,
                             reported_on=reported_on, month=month_of(event.reported_at), repeat_candidate=repeat,
                             **dims, **event_measures(event, repeat=repeat))
            rows.append(fact)
            if len(rows) >= BATCH:
                EventFact.objects.bulk_create(rows)
                done += len(rows)
                rows = []
                if progress:
                    progress(done)
        EventFact.objects.bulk_create(rows)
        done += len(rows)
        rebuild_rollups()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE analytics_eventfact; ANALYZE analytics_statscube")
    return {"events": done, "rollups": StatsCube.objects.count()}


def rebuild_rollups() -> None:
    StatsCube.objects.all().delete()
    sums = {m: Sum(m) for m in MEASURES}
    for grain, dims in grains.GRAINS.items():
        rows = []
        for row in EventFact.objects.order_by().values("month", *dims).annotate(**sums).iterator(chunk_size=BATCH):
            rows.append(StatsCube(**grains.key(grain, row["month"], {d: row[d] for d in dims}),
                                  **{m: row[m] for m in MEASURES}))
            if len(rows) >= BATCH:
                StatsCube.objects.bulk_create(rows)
                rows = []
        StatsCube.objects.bulk_create(rows)

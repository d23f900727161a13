"""Benchmark: the statistics ("data analysis") pages, the home pages and filtered event lists at province scale.

Builds the Putian demo, adds sites up to 50,000, a few hundred grid workers, and events in steps
(10,000 → 100,000 → 1,000,000, with every stage column filled as the workflow would: bench/scale.py
`lifecycle`), rebuilds the statistics after each step (`rebuild_statistics`, timed), and then measures
p50/p95 over --runs requests of each page, the SQL time of its queries, and hand-written SQL doing the same
work, side by side:

    PYTHONPATH=src .venv/bin/python bench/analytics.py --markdown /tmp/analytics-sqlite.md
    DATABASE_URL=postgres://... .venv/bin/python bench/analytics.py --markdown /tmp/analytics-pg.md
    .venv/bin/python bench/analytics.py --steps 10000 --show-sql        # print each page's SQL once
    PW_VAR_DIR=<a run's folder> .venv/bin/python bench/analytics.py --measure-only --only home   # again, same data

Columns: the page's wall time in the test client (p50/p95), the time its SQL took inside that request
(p95, from connection.execute_wrapper) and its number of queries, the hand-written SQL's p50/p95, and
the ratios page SQL / hand SQL and page / hand SQL (both at p95). The hand-written SQL reads the same
tables the application does (the monthly rollups for whole months, the per-event facts for partial
months or filters no rollup splits by, the events for counts of open work and lists) and returns the
same figures; it leaves out the session, user and membership lookups every page makes.

Targets (issue 7, item 8): statistics pages p95 ≤ 300 ms, home pages ≤ 200 ms, filtered lists ≤ 150 ms,
each within 2x of the hand-written SQL, flat from 10k to 1M events. `--explain` prints the plan of the
slowest query of every page that misses its target.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402  (sets up Django: a temporary PW_VAR_DIR unless one is given)
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from parcelwatch.accounts.models import Jurisdiction, Membership, Role, User  # noqa: E402
from parcelwatch.accounts.services import issue_api_token  # noqa: E402
from parcelwatch.analytics.measures import MEASURES, OPEN_STATES  # noqa: E402
from parcelwatch.analytics.models import EventFact, StatsCube  # noqa: E402
from parcelwatch.analytics.services import rebuild_statistics  # noqa: E402
from parcelwatch.events.models import Event  # noqa: E402
from parcelwatch.registry.models import Site  # noqa: E402

RUNS = 20
SLOW_MS, SLOW_RUNS = 10_000, 3
GRID_WORKERS = 300
USERS = ("city_leader", "city_officer", "hanjiang_officer", "hanjiang_grid", "zto_safety")
TARGETS = {"statistics": 300.0, "home": 200.0, "list": 150.0}


# --- data -------------------------------------------------------------------------------------------------------


def district_of(node: Jurisdiction, by_id: dict[int, Jurisdiction]) -> Jurisdiction | None:
    while node is not None and node.level not in ("district", "zone"):
        node = by_id.get(node.parent_id)
    return node


def add_reporters(rng: random.Random, count: int) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Grid workers in towns and grids of every district (created once, without a usable password), and who
    reports in each district: {district id: [grid worker ids]}, {district id: [district officer ids]}."""
    nodes = {j.pk: j for j in Jurisdiction.objects.all()}
    places = [j for j in nodes.values() if j.level in ("town", "grid")]
    have = User.objects.filter(username__startswith="bench_grid_").count()
    if have < count:
        users = [User(username=f"bench_grid_{n:04d}", full_name=f"基准网格员{n:04d}", password="!")
                 for n in range(have, count)]
        with transaction.atomic():
            User.objects.bulk_create(users)
            created = User.objects.filter(username__in=[u.username for u in users])
            Membership.objects.bulk_create([Membership(user=u, jurisdiction=rng.choice(places), role=Role.GRID_WORKER)
                                            for u in created.order_by("username")])
    reporters: dict[int, list[int]] = {}
    inspectors: dict[int, list[int]] = {}
    for m in Membership.objects.filter(role__in=[Role.GRID_WORKER, Role.DISTRICT_OFFICER]).order_by("pk"):
        district = district_of(nodes[m.jurisdiction_id], nodes)
        if district is None:
            continue
        target = reporters if m.role == Role.GRID_WORKER else inspectors
        target.setdefault(district.pk, [])
        if m.user_id not in target[district.pk]:
            target[district.pk].append(m.user_id)
    return reporters, inspectors


# --- measuring --------------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


@dataclass
class Result:
    step: int
    kind: str  # statistics | home | list
    label: str
    page: list[float] = field(default_factory=list)
    page_sql: list[float] = field(default_factory=list)
    queries: int = 0
    size: int = 0
    hand: list[float] = field(default_factory=list)
    hand_queries: int = 0
    slowest: tuple[float, str, tuple] = (0.0, "", ())
    plan: str = ""
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.page)

    @property
    def p95(self) -> float:
        return pct(self.page, 0.95)

    @property
    def sql95(self) -> float:
        return pct(self.page_sql, 0.95)

    @property
    def hand50(self) -> float:
        return statistics.median(self.hand)

    @property
    def hand95(self) -> float:
        return pct(self.hand, 0.95)

    @property
    def target(self) -> float:
        return TARGETS[self.kind]

    @property
    def sql_ratio(self) -> float:
        return self.sql95 / self.hand95 if self.hand95 else float("inf")

    @property
    def page_ratio(self) -> float:
        return self.p95 / self.hand95 if self.hand95 else float("inf")

    @property
    def ok(self) -> bool:
        return self.p95 <= self.target and self.sql_ratio <= 2.0

    @property
    def verdict(self) -> str:
        misses = []
        if self.p95 > self.target:
            misses.append(f"p95 > {self.target:.0f} ms")
        if self.sql_ratio > 2.0:
            misses.append("SQL > 2x hand")
        verdict = "MISS: " + ", ".join(misses) if misses else "ok"
        return f"{verdict} ({self.note})" if self.note else verdict


RESULTS: list[Result] = []
SHOW_SQL = False
EXPLAIN = False
ONLY: list[str] = []


class Recorder:
    """Times every query of a request (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - t0) * 1000, sql, tuple(params or ())))

    @property
    def total(self) -> float:
        return sum(q[0] for q in self.queries)


def explain(sql: str, params: tuple) -> str:
    """The plan of a query: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL."""
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return "\n".join(f"{row[0]:>3} {row[1]:>3}  {row[-1]}" for row in rows)
    return "\n".join(row[0] for row in rows)


def run_hand(statements: list[tuple[str, list]]) -> list[list[tuple]]:
    out = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            out.append(cursor.fetchall())
    return out


def measure(step: int, kind: str, label: str, fn, hand: list[tuple[str, list]], runs: int) -> Result:
    r = Result(step, kind, label)
    rec = Recorder()
    with connection.execute_wrapper(rec):
        response = fn()  # warm-up, and the queries it makes
    assert response.status_code == 200, (label, response.status_code, response.content[:300])
    r.queries, r.size = len(rec.queries), len(response.content)
    if SHOW_SQL:
        print(f"\n## {label}: {len(rec.queries)} queries")
        for ms, sql, params in rec.queries:
            print(f"  {ms:7.2f} ms  {sql}  {params}")
        print(f"  -- hand-written ({len(hand)} statements)")
        with connection.cursor() as cursor:
            for sql, params in hand:
                t0 = time.perf_counter()
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                print(f"  {(time.perf_counter() - t0) * 1000:7.2f} ms  {sql}  {params}  -> {rows[:3]}")
    run_hand(hand)  # warm-up
    r.hand_queries = len(hand)
    slowest: dict[str, tuple[float, str, tuple]] = {}
    if sum(q[0] for q in rec.queries) > SLOW_MS:  # a pathological page: a few runs tell enough
        runs = min(runs, SLOW_RUNS)
        r.note = f"{runs} runs only (the first took {sum(q[0] for q in rec.queries) / 1000:,.1f} s in SQL)"
    for _ in range(runs):
        rec = Recorder()
        t0 = time.perf_counter()
        with connection.execute_wrapper(rec):
            fn()
        r.page.append((time.perf_counter() - t0) * 1000)
        r.page_sql.append(rec.total)
        for ms, sql, params in rec.queries:
            if ms > slowest.get(sql, (0.0,))[0]:
                slowest[sql] = (ms, sql, params)
        t0 = time.perf_counter()
        run_hand(hand)
        r.hand.append((time.perf_counter() - t0) * 1000)
    r.slowest = max(slowest.values(), default=(0.0, "", ()))
    if EXPLAIN and not r.ok:
        r.plan = explain(*r.slowest[1:])
    RESULTS.append(r)
    flag = r.verdict
    print(f"{step:>9,d}  {label:<58} page {r.p50:7.1f} / {r.p95:7.1f} ms  sql {r.sql95:7.1f} ms {r.queries:3d} q  "
          f"hand {r.hand50:7.1f} / {r.hand95:7.1f} ms {r.hand_queries:2d} q  x{r.sql_ratio:4.1f} / x{r.page_ratio:5.1f}"
          f"  [{r.target:.0f}] {flag}", flush=True)
    if r.plan:
        print(f"           slowest query ({r.slowest[0]:.1f} ms): {short(r.slowest[1])}\n           params: "
              f"{r.slowest[2][:40]}\n" + "\n".join("             " + line for line in r.plan.splitlines()), flush=True)
    return r


# --- hand-written SQL ------------------------------------------------------------------------------------------
#
# The same figures as each page, written by hand against the same tables. Ids a page resolves from the
# user's memberships (the districts and places it may see) are given; codes in the query string are
# resolved inside the SQL, as the page resolves them per request.

# The monthly rollups and the columns each splits by (analytics_statscube.grain): a question is read from
# the smallest one having every column it groups or filters by, and from the per-event facts otherwise.
ROLLUPS = {"dc": {"district_id", "category_id"}, "db": {"district_id", "brand_id"},
           "de": {"district_id", "enterprise_id", "brand_id"}, "dr": {"district_id", "reporter_id"},
           "f": {"district_id", "category_id", "brand_id", "source", "level"}}
SUMS = ", ".join(f'SUM("{m}") AS "{m}"' for m in MEASURES)
OUTER_SUMS = ", ".join(f'SUM(t."{m}") AS "{m}"' for m in MEASURES)
CASE_PENALISED = "('decided', 'served', 'executed', 'closed')"
OPEN = "(" + ", ".join(f"'{s}'" for s in OPEN_STATES) + ")"
LOCAL = timedelta(hours=8)  # Asia/Shanghai


def ph(values) -> str:
    return ", ".join(["%s"] * len(values))


def day(d: date):
    return connection.ops.adapt_datefield_value(d)


def moment(d: date):
    """The start of a local day, as the database stores it."""
    return connection.ops.adapt_datetimefield_value(
        timezone.make_aware(datetime.combine(d, dtime.min), timezone.get_fixed_timezone(LOCAL)))


def month_end(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def split(start: date, end: date, today: date):
    """(first month, last month) read from the rollups, or None; the partial stretches read from the facts."""
    first = start if start.day == 1 else month_end(start) + timedelta(days=1)
    last = end if (end == month_end(end) or end >= today) else end.replace(day=1) - timedelta(days=1)
    if first > last:
        return None, [(start, end)]
    edges = ([(start, first - timedelta(days=1))] if start < first else []) + (
        [(last + timedelta(days=1), end)] if end > last else [])
    return (first.year * 100 + first.month, last.year * 100 + last.month), edges


@dataclass
class Q:
    """A statistics question: events reported start..end in these districts, narrowed by dimension filters,
    each a (column, SQL expression for its value, params)."""

    start: date
    end: date
    districts: list[int]
    filters: list[tuple[str, str, list]] = field(default_factory=list)

    def where(self, alias: str = "") -> tuple[str, list]:
        a = f"{alias}." if alias else ""
        sql = f"{a}district_id IN ({ph(self.districts)})"
        params = list(self.districts)
        for column, expr, ps in self.filters:
            sql += f" AND {a}{column} = {expr}"
            params += ps
        return sql, params


def summed(q: Q, today: date, group: str | None = None, *, columns: str = SUMS,
           outer: str = OUTER_SUMS) -> tuple[str, list]:
    """SELECT [k,] sums: from the smallest rollup for whole months plus the facts for partial months, or from
    the facts alone when no rollup splits by every column needed."""
    needed = {c for c, _e, _p in q.filters} | {"district_id"} | ({group} if group and group != "month" else set())
    grain = next((g for g, cols in ROLLUPS.items() if needed <= cols), None)
    key = f'{group} AS k, ' if group else ""
    by = " GROUP BY k" if group else ""
    parts: list[tuple[str, list]] = []
    months, edges = split(q.start, q.end, today) if grain else (None, [(q.start, q.end)])
    where, params = q.where()
    if months:
        parts.append((f"SELECT {key}{columns} FROM analytics_statscube WHERE grain = %s AND month >= %s AND "
                      f"month <= %s AND {where}{by}", [grain, months[0], months[1], *params]))
    for start, end in edges:
        parts.append((f"SELECT {key}{columns} FROM analytics_eventfact WHERE {where} AND reported_on >= %s "
                      f"AND reported_on <= %s{by}", [*params, day(start), day(end)]))
    if len(parts) == 1:
        return parts[0]
    union = " UNION ALL ".join(f"SELECT * FROM ({sql}) p{i}" for i, (sql, _p) in enumerate(parts))
    return (f"SELECT {'t.k, ' if group else ''}{outer} FROM ({union}) t{' GROUP BY t.k' if group else ''}",
            [p for _s, ps in parts for p in ps])


def named(q: Q, today: date, group: str, join: str, names: str, tail: str = "") -> tuple[str, list]:
    sql, params = summed(q, today, group)
    return f"SELECT s.*, {names} FROM ({sql}) s LEFT JOIN {join} n ON n.id = s.k{tail}", params


def cases(districts: list[int], start: date, end: date, extra: str = "", extra_params: list | None = None):
    return (f"SELECT COUNT(*), SUM(CASE WHEN state IN {CASE_PENALISED} THEN fine_amount END), "
            f"SUM(CASE WHEN state IN {CASE_PENALISED} THEN 1 ELSE 0 END) FROM enforcement_enforcementcase "
            f"WHERE district_id IN ({ph(districts)}) AND filed_at >= %s AND filed_at < %s{extra}",
            [*districts, moment(start), moment(end + timedelta(days=1)), *(extra_params or [])])


def repeats(q: Q, column: str, table: str) -> tuple[str, list]:
    where, params = q.where()
    return (f"SELECT t.k, t.n, n.name FROM (SELECT {column} AS k, COUNT(*) AS n FROM analytics_eventfact "
            f'WHERE {where} AND "repeat" = 1 AND reported_on >= %s AND reported_on <= %s GROUP BY {column} '
            f"ORDER BY n DESC, k LIMIT 10) t JOIN {table} n ON n.id = t.k",
            [*params, day(q.start), day(q.end)])


def repeat_enterprises(q: Q, today: date) -> tuple[str, list]:
    """The enterprises with most repeat problems: "repeat" is a measure, summed in the rollups by enterprise."""
    sql, params = summed(q, today, "enterprise_id", columns='SUM("repeat") AS n', outer="SUM(t.n) AS n")
    return (f"SELECT s.k, s.n, n.name FROM ({sql}) s JOIN registry_enterprise n ON n.id = s.k WHERE s.n > 0 "
            "ORDER BY s.n DESC, s.k LIMIT 10", params)


def choices(ctx: Ctx, subtree: list[int], districts: list[int], path: str) -> list[tuple[str, list]]:
    """The filter form's choices: districts, categories, brands, and the first 500 enterprises by name."""
    return [
        ("SELECT id, code, name FROM accounts_jurisdiction WHERE path LIKE %s AND level IN ('district', 'zone') "
         "ORDER BY sort_order, code", [path + "/%"]),
        ("SELECT id, code, name FROM events_eventcategory ORDER BY sort_order, code", []),
        ("SELECT id, code, short_name FROM registry_brand ORDER BY sort_order, code", []),
        (f"SELECT id, name FROM registry_enterprise e WHERE e.jurisdiction_id IN ({ph(subtree)}) OR e.id IN "
         f"(SELECT enterprise_id FROM registry_site WHERE district_id IN ({ph(districts)})) ORDER BY name LIMIT 500",
         [*subtree, *districts]),
    ]


def unread(user: int) -> tuple[str, list]:
    return ("SELECT COUNT(*) FROM notifications_notification WHERE recipient_id = %s AND read_at IS NULL", [user])


def code(table: str) -> str:
    return f"(SELECT id FROM {table} WHERE code = %s)"


CATEGORY, DISTRICT, BRAND = code("events_eventcategory"), code("accounts_jurisdiction"), code("registry_brand")


def hand_statistics(ctx: Ctx, q: Q, *, user: int, subtree: list[int], path: str,
                    case_extra: tuple[str, list] = ("", [])) -> list[tuple[str, list]]:
    """The statistics page: totals, cases and fines, by category, district, brand, the 15 largest enterprises,
    by month, the sites and enterprises with most repeat problems, the form's choices."""
    t = ctx.today
    return [
        summed(q, t),
        cases(q.districts, q.start, q.end, *case_extra),
        named(q, t, "category_id", "events_eventcategory", "n.code, n.name"),
        named(q, t, "district_id", "accounts_jurisdiction", "n.code, n.name"),
        named(q, t, "brand_id", "registry_brand", "n.code, n.short_name"),
        named(q, t, "enterprise_id", "registry_enterprise", "n.name", ' ORDER BY s."reported" DESC LIMIT 15'),
        summed(q, t, "month"),
        repeats(q, "site_id", "registry_site"),
        repeat_enterprises(q, t),
        *choices(ctx, subtree, q.districts, path),
        unread(user),
    ]


def hand_performance(ctx: Ctx, q: Q, by: str, user: int) -> list[tuple[str, list]]:
    join = {"district_id": ("accounts_jurisdiction", "n.code, n.name"),
            "reporter_id": ("accounts_user", "n.full_name, n.username"),
            "enterprise_id": ("registry_enterprise", "n.name")}[by]
    return [named(q, ctx.today, by, *join), *choices(ctx, ctx.city_subtree, q.districts, "350300"), unread(user)]


def hand_report(ctx: Ctx, q: Q, user: int) -> list[tuple[str, list]]:
    t = ctx.today
    return [summed(q, t), cases(q.districts, q.start, q.end),
            named(q, t, "category_id", "events_eventcategory", "n.code, n.name"),
            named(q, t, "district_id", "accounts_jurisdiction", "n.code, n.name"),
            summed(q, t, "month"),
            ("SELECT id, code, name FROM accounts_jurisdiction WHERE path LIKE %s AND level IN ('district', 'zone') "
             "ORDER BY sort_order, code", ["350300/%"]),
            unread(user)]


EVENT_ROW = ("SELECT e.id, e.number, e.state, e.reported_at, e.deadline, s.name, ent.name, c.code, c.name, d.name, "
             "j.name, u.full_name FROM ({ids}) p JOIN events_event e ON e.id = p.id "
             "JOIN registry_site s ON s.id = e.site_id JOIN registry_enterprise ent ON ent.id = s.enterprise_id "
             "JOIN events_eventcategory c ON c.id = e.category_id JOIN accounts_jurisdiction d ON d.id = e.district_id "
             "JOIN accounts_jurisdiction j ON j.id = e.jurisdiction_id JOIN accounts_user u ON u.id = e.reported_by_id "
             "ORDER BY e.{order} DESC, e.id DESC")


def latest(where: str, params: list, order: str = "reported_at", n: int = 12) -> tuple[str, list]:
    ids = f"SELECT id FROM events_event WHERE {where} ORDER BY {order} DESC, id DESC LIMIT {n}"
    return EVENT_ROW.format(ids=ids, order=order), params


def hand_wall(ctx: Ctx, user: int) -> list[tuple[str, list]]:
    t, ds = ctx.today, ctx.city_districts
    year = Q(date(t.year, 1, 1), t, ds)
    where = f"district_id IN ({ph(ds)})"
    return [
        summed(year, t),
        summed(Q(t, t, ds), t),
        (f"SELECT COUNT(*) FROM events_event WHERE {where} AND closed_at >= %s", [*ds, moment(t)]),
        (f"SELECT COUNT(*) FROM events_event WHERE {where} AND escalated_at >= %s", [*ds, moment(t)]),
        (f"SELECT district_id, COUNT(*), SUM(CASE WHEN state = 'rectifying' AND deadline < %s THEN 1 ELSE 0 END) "
         f"FROM events_event WHERE {where} AND state IN {OPEN} GROUP BY district_id", [day(t), *ds]),
        named(year, t, "district_id", "accounts_jurisdiction", "n.code, n.name"),
        ("SELECT id, code, name, lng, lat FROM accounts_jurisdiction WHERE path LIKE %s AND level IN "
         "('district', 'zone') ORDER BY sort_order, code", ["350300/%"]),
        latest(where, ds),
        latest(where + " AND escalated_at IS NOT NULL", ds, "escalated_at"),
    ]


def registry_overview(site_where: str, params: list, ent_where: str, ent_params: list,
                      officer_where: str, officer_params: list) -> list[tuple[str, list]]:
    """The home page's registry panel: sites by kind and by district, X-ray machines, enterprises, officers."""
    return [
        (f"SELECT kind, COUNT(*) FROM registry_site s WHERE {site_where} GROUP BY kind", params),
        (f"SELECT d.name, d.code, d.sort_order, t.n FROM (SELECT district_id, COUNT(*) AS n FROM registry_site s "
         f"WHERE {site_where} GROUP BY district_id) t JOIN accounts_jurisdiction d ON d.id = t.district_id "
         f"ORDER BY d.sort_order", params),
        (f"SELECT SUM(xray_count) FROM registry_site s WHERE {site_where}", params),
        (f"SELECT COUNT(*) FROM registry_enterprise e WHERE {ent_where}", ent_params),
        (f"SELECT COUNT(*) FROM registry_safetyofficer o WHERE {officer_where}", officer_params),
    ]


def area_registry(subtree: list[int], site_col: str, site_ids: list[int]) -> list[tuple[str, list]]:
    """Registry overview for a jurisdiction: sites in it (by district or place ids), enterprises registered in
    it or running a site there, their officers (registered there or covering a site there)."""
    in_sites = f"SELECT enterprise_id FROM registry_site WHERE {site_col} IN ({ph(site_ids)})"
    officer_sites = (f"SELECT os.safetyofficer_id FROM registry_safetyofficer_sites os JOIN registry_site s ON "
                     f"s.id = os.site_id WHERE s.{site_col} IN ({ph(site_ids)})")
    return registry_overview(
        f"s.{site_col} IN ({ph(site_ids)})", site_ids,
        f"e.jurisdiction_id IN ({ph(subtree)}) OR e.id IN ({in_sites})", [*subtree, *site_ids],
        f"o.enterprise_id IN (SELECT id FROM registry_enterprise WHERE jurisdiction_id IN ({ph(subtree)})) "
        f"OR o.id IN ({officer_sites})", [*subtree, *site_ids])


def case_todo(districts: list[int], states: tuple[str, ...], today: date) -> list[tuple[str, list]]:
    where = (f"c.district_id IN ({ph(districts)}) AND c.state IN ({ph(states)}) AND NOT (c.state = 'notified' "
             f"AND c.hearing_deadline >= %s)")
    params = [*districts, *states, day(today)]
    return [(f"SELECT COUNT(*) FROM enforcement_enforcementcase c WHERE {where}", params),
            (f"SELECT c.id, c.number, c.state, e.name, s.name, k.name, d.name FROM enforcement_enforcementcase c "
             f"JOIN registry_enterprise e ON e.id = c.enterprise_id JOIN registry_site s ON s.id = c.site_id "
             f"JOIN events_eventcategory k ON k.id = c.category_id JOIN accounts_jurisdiction d ON d.id = c.district_id "
             f"WHERE {where} ORDER BY c.proposed_at, c.id LIMIT 5", params)]


def open_work(where: str, params: list, today: date, *extra: tuple[str, list], one_state: str = "") -> list[tuple[str, list]]:
    """Open events by state, the overdue letters, and further counts of open work, each its own indexed count.

    `one_state`: the scope written for counts of one state, where the scope has no index with the state (a place,
    an enterprise's sites): `+column` keeps the database on the state (and deadline) index, which holds only
    open work, instead of the scope's index, which holds all its history."""
    single = one_state or where
    return [
        (f"SELECT state, COUNT(*) FROM events_event e WHERE {where} AND state IN {OPEN} GROUP BY state", params),
        (f"SELECT COUNT(*) FROM events_event e WHERE {single} AND state = 'rectifying' AND deadline < %s",
         [*params, day(today)]),
        *((f"SELECT COUNT(*) FROM events_event e WHERE {single} AND {cond}", [*params, *ps]) for cond, ps in extra),
    ]


def hand_panels(ctx: Ctx, role: str, user: int) -> list[tuple[tuple[str, ...], str, list]]:
    """The regulators' panels beside the events (self-inspection, credit, video, inspections, emergency, public
    reports and rewards, collaboration): (the figures' data-testids, in the order of the row's columns; SQL;
    params). Objects of an enterprise are the area's when the enterprise is registered in it; tasks and memoranda
    are read upward too (a district sees the city's)."""
    t = ctx.today
    city = role in ("city_leader", "city_officer")
    ds, nodes = (ctx.city_districts, ctx.city_subtree) if city else ([ctx.hanjiang], ctx.hanjiang_subtree)
    seen = nodes if city else [ctx.city, *nodes]  # the nodes whose tasks and memoranda the user reads
    registered = f"e.jurisdiction_id IN ({ph(nodes)})"
    in_area = f"(e.jurisdiction_id IN ({ph(nodes)}) OR e.id IN (SELECT enterprise_id FROM registry_site WHERE " \
              f"district_id IN ({ph(ds)})))"
    graded = (("credit-d", "credit-c"),
              "SELECT COUNT(DISTINCT CASE WHEN r.grade = 'D' THEN e.id END), COUNT(DISTINCT CASE WHEN r.grade = 'C' "
              "THEN e.id END) FROM registry_enterprise e JOIN assessment_creditrating r ON r.enterprise_id = e.id "
              f"AND r.current AND r.site_id IS NULL WHERE {in_area}", [*nodes, *ds])
    overdue_tasks = (("tasks-overdue",), "SELECT COUNT(*) FROM collaboration_task t JOIN collaboration_jointmeeting m "
                     f"ON m.id = t.meeting_id WHERE m.jurisdiction_id IN ({ph(seen)}) AND t.state = 'open' "
                     "AND t.due_on < %s", [*seen, day(t)])
    lapsing = (("memoranda-expiring",), f"SELECT COUNT(*) FROM collaboration_memorandum WHERE jurisdiction_id IN "
               f"({ph(seen)}) AND valid_from <= %s AND valid_until >= %s AND valid_until <= %s",
               [*seen, day(t), day(t), day(t + timedelta(days=30))])
    open_incidents = (("incidents-open",), f"SELECT COUNT(*) FROM emergency_incident WHERE district_id IN ({ph(ds)}) "
                      "AND state = 'open'", ds)
    if role == "city_leader":
        return [
            (("circulars-to-approve",), f"SELECT COUNT(*) FROM selfcheck_circular WHERE area_id IN ({ph(nodes)}) "
             "AND state = 'awaiting_approval'", nodes),
            graded, open_incidents,
            (("rewards-to-approve",), f"SELECT COUNT(*) FROM tipoffs_reward WHERE district_id IN ({ph(ds)}) "
             "AND state = 'proposed'", ds),
            overdue_tasks, lapsing,
        ]
    last_month = (t.replace(day=1) - timedelta(days=1)).replace(day=1)
    by_enterprise = f"JOIN registry_enterprise e ON e.id = x.enterprise_id WHERE {registered}"
    out = [
        (("review-filings",), f"SELECT COUNT(*) FROM selfcheck_officerfiling x {by_enterprise} AND x.state = "
         "'submitted'", nodes),
        (("review-reports",), f"SELECT COUNT(*) FROM selfcheck_dutyreport x {by_enterprise} AND x.state = 'submitted'",
         nodes),
        (("reports-missing",), f"SELECT COUNT(*) FROM registry_enterprise e WHERE {registered} AND e.status = "
         "'operating' AND EXISTS (SELECT 1 FROM registry_site s WHERE s.enterprise_id = e.id AND s.status = "
         "'operating') AND NOT EXISTS (SELECT 1 FROM selfcheck_dutyreport r WHERE r.enterprise_id = e.id AND "
         "r.period = %s)", [*nodes, day(last_month)]),
        (("spot-checks-pending",), "SELECT COUNT(*) FROM selfcheck_spotcheck c JOIN selfcheck_dutyreport x ON "
         f"x.id = c.report_id {by_enterprise} AND c.result = 'pending'", nodes),
        (("no-filed-officer",), f"SELECT COUNT(*) FROM registry_site s WHERE s.district_id IN ({ph(ds)}) AND "
         "s.status = 'operating' AND NOT EXISTS (SELECT 1 FROM registry_safetyofficer_sites os JOIN "
         "registry_safetyofficer o ON o.id = os.safetyofficer_id WHERE os.site_id = s.id AND o.status = 'active' "
         "AND o.filing_date IS NOT NULL)", ds),
        (("evaluations-open",), f"SELECT COUNT(*) FROM assessment_evaluation WHERE area_id IN ({ph(nodes)}) AND "
         "state = 'open'", nodes),
        graded,
        (("video-patrols",), "SELECT COUNT(*) FROM video_videopatrol p JOIN registry_site s ON s.id = p.site_id "
         f"WHERE s.district_id IN ({ph(ds)}) AND p.inspector_id = %s AND p.state = 'pending'", [*ds, user]),
        (("video-offline", "video-rate"), "SELECT COUNT(CASE WHEN status = 'offline' THEN 1 END), COUNT(CASE WHEN "
         f"status = 'online' THEN 1 END) FROM video_camera WHERE district_id IN ({ph(ds)}) AND enabled", ds),
        (("inspections-due",), "SELECT COUNT(*) FROM enforcement_inspection i JOIN enforcement_inspection_inspectors "
         "ii ON ii.inspection_id = i.id JOIN enforcement_inspectionplan p ON p.id = i.plan_id WHERE ii.user_id = %s "
         "AND p.state = 'published' AND i.state = 'planned'", [user]),
        (("plans-to-review",), f"SELECT COUNT(*) FROM emergency_emergencyplan x {by_enterprise} AND x.state = "
         "'submitted'", nodes),
        (("drills-to-evaluate",), f"SELECT COUNT(*) FROM emergency_drill x {by_enterprise} AND x.state = 'held'",
         nodes),
        open_incidents,
        (("tipoffs-received",), f"SELECT COUNT(*) FROM tipoffs_tipoff WHERE district_id IN ({ph(ds)}) AND state = "
         "'received'", ds),
    ]
    if role == "city_officer":
        out.append((("rewards-to-pay",), f"SELECT COUNT(*) FROM tipoffs_reward WHERE district_id IN ({ph(ds)}) AND "
                    "state = 'approved'", ds))
    out += [
        (("referrals-to-handle",), f"SELECT COUNT(*) FROM collaboration_referral WHERE jurisdiction_id IN "
         f"({ph(nodes)}) AND direction = 'in' AND state IN ('sent', 'received')", nodes),
        (("tasks-mine",), "SELECT COUNT(*) FROM collaboration_task t JOIN collaboration_jointmeeting m ON m.id = "
         f"t.meeting_id WHERE m.jurisdiction_id IN ({ph(nodes)}) AND t.lead_id IS NULL AND t.state = 'open'", nodes),
        overdue_tasks, lapsing,
    ]
    return out


def hand_home(ctx: Ctx, role: str, user: int) -> list[tuple[str, list]]:
    """The home page's figures for each role (the first statement: open events by state)."""
    t = ctx.today
    ds = ctx.city_districts
    scope = f"district_id IN ({ph(ds)})"
    out: list[tuple[str, list]] = []
    if role == "city_leader":
        out += open_work(scope, ds, t, (
            "state = 'escalated' AND escalated_at IS NOT NULL GROUP BY escalated_at >= %s, escalated_at >= %s",
            [moment(t - timedelta(days=3)), moment(t - timedelta(days=10))]))
        out += case_todo(ds, ("proposed", "notified"), t)
        out.append((f"SELECT COUNT(*) FROM events_event WHERE {scope} AND reported_at >= %s AND reported_at < %s",
                    [*ds, moment(t), moment(t + timedelta(days=1))]))
        out.append((f"SELECT COUNT(*) FROM events_event WHERE {scope} AND state = 'closed' AND closed_at >= %s "
                    f"AND closed_at < %s", [*ds, moment(t), moment(t + timedelta(days=1))]))
        out.append(cases(ds, date(t.year, 1, 1), date(t.year, 12, 31)))
        out.append((f"SELECT district_id, SUM(CASE WHEN reported_on >= %s THEN 1 ELSE 0 END), "
                    f"SUM(CASE WHEN reported_on < %s THEN 1 ELSE 0 END) FROM analytics_eventfact WHERE {scope} "
                    f"AND reported_on >= %s AND reported_on <= %s GROUP BY district_id",
                    [day(t - timedelta(days=29)), day(t - timedelta(days=29)), *ds, day(t - timedelta(days=59)),
                     day(t)]))
        cols = ", ".join(f'SUM("{m}") AS "{m}"' for m in ("closed_district", "st_closed", *(
            f"st_{s}" for s in OPEN_STATES)))
        outer = ", ".join(f'SUM(t."{m}")' for m in ("closed_district", "st_closed", *(f"st_{s}" for s in OPEN_STATES)))
        sql, params = summed(Q(date(t.year, 1, 1), t, ds), t, "district_id", columns=cols, outer=outer)
        out.append((f"SELECT n.id, n.code, n.name, s.* FROM accounts_jurisdiction n LEFT JOIN ({sql}) s ON s.k = n.id "
                    f"WHERE n.id IN ({ph(ds)}) ORDER BY n.sort_order, n.code", [*params, *ds]))
        out += [(sql, params) for _ids, sql, params in hand_panels(ctx, role, user)]
        out += area_registry(ctx.city_subtree, "district_id", ds)
    elif role == "city_officer":
        out += open_work(scope, ds, t)
        out += case_todo(ds, ("filed", "investigating", "decided", "served", "executed"), t)
        out += [(sql, params) for _ids, sql, params in hand_panels(ctx, role, user)]
        out += area_registry(ctx.city_subtree, "district_id", ds)
    elif role == "hanjiang_officer":
        mine = [ctx.hanjiang]
        out += open_work("district_id = %s", mine, t,
                         ("state = 'rectifying' AND deadline >= %s AND deadline <= %s",
                          [day(t), day(t + timedelta(days=2))]))
        cols = ", ".join(f'SUM("{m}") AS "{m}"' for m in (
            "closed_district", "st_closed", "rect_on_time", "rect_due", "accepted", "reworked", "fixes"))
        out.append(summed(Q(date(t.year, 1, 1), t, mine), t, columns=cols))
        out.append(summed(Q(date(t.year, 1, 1), t, ds), t, columns=cols))
        out += [(sql, params) for _ids, sql, params in hand_panels(ctx, role, user)]
        out += area_registry(ctx.hanjiang_subtree, "district_id", mine)
    elif role == "hanjiang_grid":
        places = ctx.hanjiang_places
        where = f"jurisdiction_id IN ({ph(places)})"
        out += open_work(where, places, t, one_state="+" + where)
        rows = EVENT_ROW.replace("e.{order} DESC, e.id DESC", "e.awaiting_since, e.id")
        out.append((rows.format(ids=f"SELECT id FROM events_event WHERE +{where} AND state = 'awaiting_confirmation' "
                                    "ORDER BY awaiting_since, id LIMIT 5"), places))
        out.append(latest("reported_by_id = %s", [ctx.grid_user], n=5))
        out += area_registry(places, "jurisdiction_id", places)
    elif role == "zto_safety":
        e = ctx.zto_enterprise
        sites = "site_id IN (SELECT id FROM registry_site WHERE enterprise_id = %s)"
        out += open_work(sites, [e], t, ("state = 'rectifying' AND acknowledged_at IS NULL", []),
                         ("state = 'under_enforcement' AND rectified_at IS NULL", []), one_state="+" + sites)
        rows = EVENT_ROW.replace("e.{order} DESC, e.id DESC", "e.deadline, e.id")
        out.append((rows.format(ids=f"SELECT id FROM events_event WHERE +{sites} AND state = 'rectifying' "
                                    "ORDER BY deadline, id LIMIT 5"), [e]))
        out.append(('SELECT COUNT(*), SUM(st_closed), SUM("repeat"), SUM(rect_on_time), SUM(rect_due), SUM(reworked), '
                    "SUM(fixes) FROM analytics_eventfact WHERE enterprise_id = %s AND reported_on >= %s AND "
                    "reported_on <= %s", [e, day(date(t.year, 1, 1)), day(t)]))
        out.append((f"SELECT COUNT(*), SUM(CASE WHEN state IN {CASE_PENALISED} THEN fine_amount END) FROM "
                    "enforcement_enforcementcase WHERE enterprise_id = %s AND filed_at >= %s AND filed_at < %s",
                    [e, moment(date(t.year, 1, 1)), moment(date(t.year + 1, 1, 1))]))
        out += registry_overview("s.enterprise_id = %s", [e], "e.id = %s", [e], "o.enterprise_id = %s", [e])
    out.append(unread(user))
    return out


def flagged(districts: list[int], cond: str, params: list, start: date, end: date) -> tuple[str, list]:
    """A list narrowed by a statistics figure: the ids from the facts of those days, then the events."""
    return (f"events_event e WHERE e.district_id IN ({ph(districts)}) AND e.id IN (SELECT event_id FROM "
            f"analytics_eventfact WHERE {cond} AND reported_on >= %s AND reported_on <= %s) AND e.reported_at >= %s "
            f"AND e.reported_at < %s",
            [*districts, *params, day(start), day(end), moment(start), moment(end + timedelta(days=1))])


def hand_list(ctx: Ctx, from_where: str, params: list, user: int,
              count: tuple[str, list] | None = None) -> list[tuple[str, list]]:
    """A filtered event list: the count up to 10,001, the newest 25 rows with what they show, the form's choices."""
    count_sql, count_params = count or (f"SELECT e.id FROM {from_where}", params)
    return [
        (f"SELECT COUNT(*) FROM ({count_sql} LIMIT 10001) c", count_params),
        (EVENT_ROW.format(ids=f"SELECT e.id FROM {from_where} ORDER BY e.reported_at DESC, e.id DESC LIMIT 25",
                          order="reported_at"), params),
        *choices(ctx, ctx.city_subtree, ctx.city_districts, "350300"),
        unread(user),
    ]


# --- the pages --------------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    """What the hand-written SQL needs to know about the users (their reach, as the pages resolve it per request)."""

    today: date
    users: dict[str, int]
    city_districts: list[int]
    city_subtree: list[int]
    hanjiang: int
    hanjiang_subtree: list[int]
    hanjiang_places: list[int]  # the grid worker's grids
    grid_user: int
    zto_enterprise: int
    enterprise: int  # the enterprise with the most events (statistics ?enterprise=)
    city: int = 0


def pages(ctx: Ctx, clients: dict[str, Client], auth: dict) -> list[tuple[str, str, object, list]]:
    """(kind, label, request, hand-written SQL) of everything measured."""
    officer, leader, district = clients["city_officer"], clients["city_leader"], clients["hanjiang_officer"]
    t, ds, u = ctx.today, ctx.city_districts, ctx.users
    year = t.year
    e = ctx.enterprise
    this_year = Q(date(year, 1, 1), t, ds)
    y2024 = Q(date(2024, 1, 1), date(2024, 12, 31), ds)
    officer_stats = {"user": u["city_officer"], "subtree": ctx.city_subtree, "path": "350300"}
    scope = f"e.district_id IN ({ph(ds)})"
    reworked, reworked_params = flagged(ds, f"brand_id = {BRAND} AND reworked > 0", ["zto"],
                                        date(2024, 1, 1), date(2024, 12, 31))
    escalated, escalated_params = flagged(ds, f"district_id = {DISTRICT} AND escalated > 0", ["350303"],
                                          date(year, 1, 1), t)
    closed = (f"events_event e WHERE {scope} AND e.district_id = {DISTRICT} AND e.state = 'closed' "
              f"AND e.category_id = {CATEGORY}")
    closed_params = [*ds, "350303", "BA02"]
    return [
        ("statistics", "statistics, this year to date", lambda: officer.get("/analytics/"),
         hand_statistics(ctx, this_year, **officer_stats)),
        ("statistics", "statistics ?year=2024", lambda: officer.get("/analytics/?year=2024"),
         hand_statistics(ctx, y2024, **officer_stats)),
        ("statistics", "statistics 2024-03-15..2024-06-10 (partial months)",
         lambda: officer.get("/analytics/?reported_from=2024-03-15&reported_to=2024-06-10"),
         hand_statistics(ctx, Q(date(2024, 3, 15), date(2024, 6, 10), ds), **officer_stats)),
        ("statistics", "statistics ?district=350303&category=BA02",
         lambda: officer.get("/analytics/?district=350303&category=BA02"),
         hand_statistics(ctx, Q(date(year, 1, 1), t, ds, [("district_id", DISTRICT, ["350303"]),
                                                           ("category_id", CATEGORY, ["BA02"])]), **officer_stats,
                         case_extra=(f" AND district_id = {DISTRICT} AND category_id = {CATEGORY}",
                                     ["350303", "BA02"]))),
        ("statistics", "statistics ?enterprise=<largest>", lambda: officer.get(f"/analytics/?enterprise={e}"),
         hand_statistics(ctx, Q(date(year, 1, 1), t, ds, [("enterprise_id", "%s", [e])]), **officer_stats,
                         case_extra=(" AND enterprise_id = %s", [e]))),
        ("statistics", "statistics, district officer", lambda: district.get("/analytics/"),
         hand_statistics(ctx, Q(date(year, 1, 1), t, [ctx.hanjiang]), user=u["hanjiang_officer"],
                         subtree=ctx.hanjiang_subtree, path="350300/350303")),
        ("statistics", "performance by district", lambda: officer.get("/analytics/performance/?by=district"),
         hand_performance(ctx, this_year, "district_id", u["city_officer"])),
        ("statistics", "performance by grid worker", lambda: officer.get("/analytics/performance/?by=reporter"),
         hand_performance(ctx, this_year, "reporter_id", u["city_officer"])),
        ("statistics", "performance by enterprise", lambda: officer.get("/analytics/performance/?by=enterprise"),
         hand_performance(ctx, this_year, "enterprise_id", u["city_officer"])),
        ("statistics", "yearly report 2024", lambda: leader.get("/analytics/report/?year=2024"),
         hand_report(ctx, y2024, u["city_leader"])),
        ("statistics", "wall screen data", lambda: leader.get("/analytics/wall/data.json"), hand_wall(ctx, u["city_leader"])),
        ("statistics", "API stats/summary?year=2024", lambda: officer.get("/api/v1/stats/summary?year=2024", **auth),
         [summed(y2024, t), cases(ds, y2024.start, y2024.end)]),
        ("home", "home, leader", lambda: leader.get("/"), hand_home(ctx, "city_leader", u["city_leader"])),
        ("home", "home, city officer", lambda: officer.get("/"), hand_home(ctx, "city_officer", u["city_officer"])),
        ("home", "home, district officer", lambda: district.get("/"),
         hand_home(ctx, "hanjiang_officer", u["hanjiang_officer"])),
        ("home", "home, grid worker", lambda: clients["hanjiang_grid"].get("/"),
         hand_home(ctx, "hanjiang_grid", u["hanjiang_grid"])),
        ("home", "home, enterprise", lambda: clients["zto_safety"].get("/"),
         hand_home(ctx, "zto_safety", u["zto_safety"])),
        ("list", "events ?district=350303&state=closed&category=BA02",
         lambda: officer.get("/events/?district=350303&state=closed&category=BA02"),
         hand_list(ctx, closed, closed_params, u["city_officer"])),
        ("list", "events 2024, brand=zto, flag=reworked",
         lambda: officer.get("/events/?reported_from=2024-01-01&reported_to=2024-12-31&brand=zto&flag=reworked"),
         hand_list(ctx, reworked, reworked_params, u["city_officer"], count=(
             f"SELECT event_id FROM analytics_eventfact WHERE district_id IN ({ph(ds)}) AND brand_id = {BRAND} "
             "AND reworked > 0 AND reported_on >= %s AND reported_on <= %s",
             [*ds, "zto", day(date(2024, 1, 1)), day(date(2024, 12, 31))]))),
        ("list", f"events {year}, district 350303, flag=escalated",
         lambda: officer.get(f"/events/?district=350303&flag=escalated&reported_from={year}-01-01"
                             f"&reported_to={t.isoformat()}"),
         hand_list(ctx, escalated, escalated_params, u["city_officer"], count=(
             f"SELECT event_id FROM analytics_eventfact WHERE district_id IN ({ph(ds)}) AND district_id = {DISTRICT} "
             "AND escalated > 0 AND reported_on >= %s AND reported_on <= %s",
             [*ds, "350303", day(date(year, 1, 1)), day(t)]))),
    ]


def context() -> Ctx:
    from django.db.models import Count

    def subtree(code: str) -> list[int]:
        path = Jurisdiction.objects.get(code=code).path
        return sorted(Jurisdiction.objects.filter(path__startswith=path).values_list("pk", flat=True))

    city = Jurisdiction.objects.get(code="350300")
    districts = sorted(Jurisdiction.objects.filter(path__startswith=city.path, level__in=["district", "zone"])
                       .values_list("pk", flat=True))
    grid = User.objects.get(username="hanjiang_grid")
    places: set[int] = set()
    for m in grid.memberships.select_related("jurisdiction"):
        places.update(Jurisdiction.objects.filter(path__startswith=m.jurisdiction.path).values_list("pk", flat=True))
    zto = Membership.objects.get(user__username="zto_safety", role=Role.ENTERPRISE_SAFETY).enterprise_id
    largest = (EventFact.objects.order_by().values("enterprise_id").annotate(n=Count("pk")).order_by("-n")
               .values_list("enterprise_id", flat=True).first())
    return Ctx(today=timezone.localdate(), users=dict(User.objects.filter(username__in=USERS).values_list("username", "pk")),
               city_districts=districts, city_subtree=subtree("350300"),
               hanjiang=Jurisdiction.objects.get(code="350303").pk, hanjiang_subtree=subtree("350303"),
               hanjiang_places=sorted(places), grid_user=grid.pk, zto_enterprise=zto, enterprise=largest or zto,
               city=city.pk)


def verify(ctx: Ctx) -> None:
    """The hand-written SQL gives the application's figures (so that both do the same work)."""
    from django.db.models import Count
    from django.http import QueryDict

    from parcelwatch.analytics import selectors as sel
    from parcelwatch.events.selectors import event_filters, events_visible_to, filter_events, listed_events
    from parcelwatch.lib.pagination import capped_count
    from parcelwatch.registry.selectors import enterprises_visible_to, officers_visible_to

    users = {name: User.objects.get(username=name) for name in USERS}
    t, ds, year = ctx.today, ctx.city_districts, ctx.today.year
    bad: list[str] = []
    n = 0

    def same(what: str, mine, theirs) -> None:
        nonlocal n
        n += 1
        if mine != theirs:
            bad.append(f"{what}: hand {mine!r} != app {theirs!r}")

    def fetch(stmt: tuple[str, list]) -> list[tuple]:
        return run_hand([stmt])[0]

    def sums(rows: list[tuple], offset: int = 0) -> list[int]:
        return [int(v or 0) for v in rows[0][offset:offset + len(MEASURES)]]

    questions = [
        ("city_officer", "", Q(date(year, 1, 1), t, ds)),
        ("city_officer", "year=2024", Q(date(2024, 1, 1), date(2024, 12, 31), ds)),
        ("city_officer", "reported_from=2024-03-15&reported_to=2024-06-10", Q(date(2024, 3, 15), date(2024, 6, 10), ds)),
        ("city_officer", "district=350303&category=BA02",
         Q(date(year, 1, 1), t, ds, [("district_id", DISTRICT, ["350303"]), ("category_id", CATEGORY, ["BA02"])])),
        ("city_officer", f"enterprise={ctx.enterprise}", Q(date(year, 1, 1), t, ds, [("enterprise_id", "%s",
                                                                                     [ctx.enterprise])])),
        ("hanjiang_officer", "", Q(date(year, 1, 1), t, [ctx.hanjiang])),
    ]
    for name, query, q in questions:
        reach, f = sel.reach_of(users[name]), sel.stats_filter(QueryDict(query), today=t)
        app = sel.aggregate(reach, f, today=t)[0]
        same(f"{name} ?{query} totals", sums(fetch(summed(q, t))), [int(app[m] or 0) for m in MEASURES])
        for group in ("category_id", "brand_id", "enterprise_id", "month"):
            mine = {row[0]: int(row[1] or 0) for row in fetch(summed(q, t, group)) if row[1]}
            theirs = {row[group]: row["reported"] for row in sel.aggregate(reach, f, (group,), today=t)}
            same(f"{name} ?{query} reported by {group}", mine, theirs)
        repeat = [(k, c) for k, c, _name in fetch(repeats(q, "site_id", "registry_site"))]
        same(f"{name} ?{query} repeat sites", sorted(repeat), sorted((r["id"], r["n"]) for r in sel.repeats(reach, f, "site")))
        repeat = [(k, int(c)) for k, c, _name in fetch(repeat_enterprises(q, t))]
        same(f"{name} ?{query} repeat enterprises", repeat,
             [(r["id"], r["n"]) for r in sel.repeats(reach, f, "enterprise")])
    lists = [
        ("district=350303&state=closed&category=BA02",
         f"events_event e WHERE e.district_id IN ({ph(ds)}) AND e.district_id = {DISTRICT} AND e.state = 'closed' "
         f"AND e.category_id = {CATEGORY}", [*ds, "350303", "BA02"]),
        ("reported_from=2024-01-01&reported_to=2024-12-31&brand=zto&flag=reworked",
         *flagged(ds, f"brand_id = {BRAND} AND reworked > 0", ["zto"], date(2024, 1, 1), date(2024, 12, 31))),
        (f"district=350303&flag=escalated&reported_from={year}-01-01&reported_to={t.isoformat()}",
         *flagged(ds, f"district_id = {DISTRICT} AND escalated > 0", ["350303"], date(year, 1, 1), t)),
    ]
    for query, from_where, params in lists:
        stmts = hand_list(ctx, from_where, params, ctx.users["city_officer"])
        qs = listed_events(users["city_officer"], event_filters(QueryDict(query)))
        same(f"events ?{query} count", fetch(stmts[0])[0][0], capped_count(qs)[0] + int(capped_count(qs)[1]))
        same(f"events ?{query} rows", [row[0] for row in fetch(stmts[1])],
             list(qs.order_by("-reported_at", "-pk").values_list("pk", flat=True)[:25]))
    for name in USERS:
        stmts = hand_home(ctx, name, ctx.users[name])
        events = events_visible_to(users[name])
        by_state = dict(fetch(stmts[0]))
        same(f"home {name}: open events by state", by_state, dict(
            events.filter(state__in=OPEN_STATES).order_by().values_list("state").annotate(n=Count("pk"))))
        same(f"home {name}: overdue letters", fetch(stmts[1])[0][0],
             filter_events(events, overdue=True, today=t).count())
        same(f"home {name}: enterprises", fetch(stmts[-3])[0][0], enterprises_visible_to(users[name]).count())
        same(f"home {name}: safety officers", fetch(stmts[-2])[0][0], officers_visible_to(users[name]).count())
        if name in ("city_leader", "city_officer", "hanjiang_officer"):
            client = Client()
            client.force_login(users[name])
            shown = {k: int(v) for k, v in re.findall(r'data-testid="([\w-]+)" data-count="(\d+)"',
                                                       client.get("/").content.decode())}
            for testids, sql, params in hand_panels(ctx, name, ctx.users[name]):
                row = fetch((sql, params))[0]
                for testid, value in zip(testids, row, strict=True):
                    same(f"home {name}: {testid}", int(value or 0), shown.get(testid))
    if bad:
        print("HAND-WRITTEN SQL DIFFERS FROM THE APPLICATION:\n  " + "\n  ".join(bad), flush=True)
    else:
        print(f"hand-written SQL checked against the application's figures: {n} comparisons, all equal", flush=True)


def run_step(step: int, runs: int) -> None:
    clients = {}
    for name in USERS:
        clients[name] = Client()
        clients[name].force_login(User.objects.get(username=name))
    key, _token = issue_api_token(User.objects.get(username="city_officer"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    ctx = context()
    verify(ctx)
    for kind, label, fn, hand in pages(ctx, clients, auth):
        if ONLY and not any(o in label for o in ONLY):
            continue
        measure(step, kind, label, fn, hand, runs)


STEPS: dict[int, dict] = {}
REVISION = ""


def machine() -> str:
    import platform

    import django

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) // 1024 // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    db = f"SQLite {version} (WAL)" if connection.vendor == "sqlite" else f"PostgreSQL {version} (default settings)"
    return (f"{os.cpu_count()} cores ({cpu}), {mem} GB RAM, {platform.platform(terse=True)}, Python "
            f"{platform.python_version()}, Django {django.get_version()}, {db}")


def revision() -> str:
    """The commit measured (and whether the application's code differed from it)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=root, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return f"commit {head}" + (" with uncommitted changes under src/" if dirty else "")


def short(sql: str) -> str:
    """Long lists of placeholders shortened: IN (%s, %s, … ×189)."""
    import re

    return re.sub(r"\((%s, ){8,}%s\)", lambda m: f"(%s, … ×{m.group(0).count('%s')})", sql)


def ms(v: float) -> str:
    return f"{v:,.1f}"


def markdown(sites: int, runs: int) -> str:
    vendor = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    steps = sorted(STEPS)
    out = [f"Machine: {machine()}.", "", f"Code: {REVISION} (when the run started).", "",
           f"Sites: {sites:,}; p50/p95 over {runs} requests per page (after one warm-up request), in one process "
           "through the test client (whole request: middleware, views, templates); page SQL = time spent in the "
           "database during the request (execute_wrapper); hand SQL = the hand-written queries returning the same "
           "figures (checked equal by the script). Ratios at p95.", ""]
    for step in steps:
        info = STEPS[step]
        out += [f"#### {vendor}, {step:,} events",
                "",
                (f"Measured on the database of an earlier run ({info['facts']:,} facts, {info['rollups']:,} rollup "
                 "rows)." if info.get("measure_only") else
                 f"Events added in {info['add']:.0f} s; `rebuild_statistics()` {info['rebuild']:.1f} s "
                 f"({info['facts']:,} facts, {info['rollups']:,} rollup rows)."),
                "",
                "| page | target p95 | page p50 | page p95 | page SQL p95 | queries | hand SQL p50 | hand SQL p95 "
                "| statements | page SQL / hand | page / hand | |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in (r for r in RESULTS if r.step == step):
            out.append(f"| {r.label} | {r.target:.0f} ms | {ms(r.p50)} | {ms(r.p95)} | {ms(r.sql95)} | {r.queries} | "
                       f"{ms(r.hand50)} | {ms(r.hand95)} | {r.hand_queries} | {r.sql_ratio:.1f}× | "
                       f"{r.page_ratio:.1f}× | {r.verdict} |")
        out.append("")
    if len(steps) > 1:
        out += [f"#### {vendor}: page p95 (ms) from {steps[0]:,} to {steps[-1]:,} events", "",
                "| page | " + " | ".join(f"{s:,}" for s in steps) + f" | {steps[-1]:,} / {steps[0]:,} |",
                "|---|" + "---:|" * (len(steps) + 1)]
        for label in dict.fromkeys(r.label for r in RESULTS):
            by = {r.step: r for r in RESULTS if r.label == label}
            cells = [ms(by[s].p95) if s in by else "—" for s in steps]
            growth = (by[steps[-1]].p95 / by[steps[0]].p95) if steps[0] in by and steps[-1] in by else None
            out.append(f"| {label} | " + " | ".join(cells) + f" | {growth:.2f}× |" if growth else " | — |")
        out.append("")
    plans = [r for r in RESULTS if r.plan]
    if plans:
        out += [f"#### {vendor}: slowest query of each page that missed a target", ""]
        for r in plans:
            out += [f"- {r.label}, {r.step:,} events ({r.verdict}): {r.slowest[0]:.1f} ms", "",
                    "  ```sql", "  " + short(r.slowest[1]), "  ```", "  ```", *("  " + line for line in r.plan.splitlines()),
                    "  ```", ""]
    return "\n".join(out)


def main() -> None:
    global SHOW_SQL, ONLY, EXPLAIN, REVISION
    REVISION = revision()
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="10000,100000,1000000")
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", action="append", default=[], help="measure only pages whose label contains this")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure the database in PW_VAR_DIR / DATABASE_URL as it is (built by an earlier run)")
    args = parser.parse_args()
    SHOW_SQL, ONLY, EXPLAIN = args.show_sql, args.only, args.explain
    rng = random.Random(2026)
    call_command("migrate", verbosity=0)
    if not args.measure_only:  # a database built by an earlier run is measured as it is
        call_command("loaddemo", verbosity=0, stdout=open(os.devnull, "w"))
    t0 = time.perf_counter()
    scale.add_sites(args.sites, rng)
    reporters, inspectors = add_reporters(rng, GRID_WORKERS)
    print(f"sites: {Site.objects.count():,}; grid workers reporting: {sum(map(len, reporters.values())):,} "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    if args.measure_only:
        step = Event.objects.count()
        STEPS[step] = {"add": 0.0, "rebuild": 0.0, "facts": EventFact.objects.count(), "rollups": StatsCube.objects.count(),
                       "measure_only": True}
        run_step(step, args.runs)
        if args.markdown:
            args.markdown.write_text(markdown(args.sites, args.runs))
        return
    for step in (int(s) for s in args.steps.split(",")):
        t0 = time.perf_counter()
        scale.add_events(step, rng, reporters, inspectors)
        added = time.perf_counter() - t0
        t0 = time.perf_counter()
        done = rebuild_statistics()
        rebuilt = time.perf_counter() - t0
        print(f"--- {Event.objects.count():,} events ({added:.0f} s to add); rebuild_statistics: {rebuilt:.1f} s "
              f"({done['events']:,} facts, {done['rollups']:,} rollup rows) ---", flush=True)
        STEPS[step] = {"add": added, "rebuild": rebuilt, "facts": done["events"], "rollups": done["rollups"]}
        run_step(step, args.runs)
        if args.markdown:  # after every step: a long run leaves its figures so far
            args.markdown.write_text(markdown(args.sites, args.runs))
    if args.markdown:
        print(f"Markdown written to {args.markdown}")


if __name__ == "__main__":
    main()

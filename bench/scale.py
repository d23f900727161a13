"""Benchmark: do pages and endpoints stay flat from 10,000 to 1,000,000 events?

Builds the Putian demo, adds sites up to --sites (default 50,000) and then events in steps
(default 10,000 → 100,000 → 1,000,000), and after each step measures the pages and endpoints
people use every day, as several roles, on a fresh database:

    PYTHONPATH=src .venv/bin/python bench/scale.py                       # SQLite in a temporary folder
    DATABASE_URL=postgres://... .venv/bin/python bench/scale.py --steps 10000,100000
    .venv/bin/python bench/scale.py --markdown docs/benchmarks-run.md    # also write the table as Markdown

Prints the median wall time of several requests, the SQL queries per request and the response size.
Exports are measured as the background worker runs them: in a separate process, whose peak memory
(max RSS) is reported too.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("PW_VAR_DIR", tempfile.mkdtemp(prefix="pw-scale-"))
Path(os.environ["PW_VAR_DIR"], "static").mkdir(exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parcelwatch.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from parcelwatch.accounts.models import Jurisdiction, User  # noqa: E402
from parcelwatch.accounts.services import issue_api_token  # noqa: E402
from parcelwatch.events.models import Event, EventCategory  # noqa: E402
from parcelwatch.registry.models import Enterprise, Site  # noqa: E402

RUNS = 5
BATCH = 5000
SH = timedelta(hours=8)



# --- data -------------------------------------------------------------------------------------------------------


def add_sites(target: int, rng: random.Random) -> None:
    have = Site.objects.count()
    if have >= target:
        return
    towns = list(Jurisdiction.objects.filter(level__in=["town", "grid"]).select_related("parent"))
    enterprises = list(Enterprise.objects.all())
    districts = {t.pk: (t.district() or t) for t in towns}
    kinds = ["outlet"] * 6 + ["terminal"] * 3 + ["sorting_center"]
    rows = []
    for n in range(have, target):
        town = rng.choice(towns)
        enterprise = rng.choice(enterprises)
        lng = Decimal(str(round(float(town.lng or 119.0) + rng.uniform(-0.03, 0.03), 6)))
        lat = Decimal(str(round(float(town.lat or 25.4) + rng.uniform(-0.03, 0.03), 6)))
        rows.append(Site(kind=rng.choice(kinds), name=f"基准网点{n:06d}", enterprise=enterprise,
                         brand_id=enterprise.brand_id, filing_number=f"BENCH-S{n:07d}", address=f"{town.name}基准路{n}号",
                         jurisdiction=town, district=districts[town.pk], lng=lng, lat=lat))
        if len(rows) >= BATCH:
            Site.objects.bulk_create(rows)
            rows = []
    Site.objects.bulk_create(rows)


def add_events(target: int, rng: random.Random) -> None:
    """Events as history accumulates them: most closed, a steady few thousand open in every state."""
    have = Event.objects.count()
    if have >= target:
        return
    sites = list(Site.objects.values_list("pk", "jurisdiction_id", "district_id"))
    categories = list(EventCategory.objects.values_list("pk", flat=True))
    reporter = User.objects.get(username="hanjiang_grid").pk
    open_states = ["reported", "accepted", "rectifying", "rectification_submitted", "escalated",
                   "awaiting_confirmation"]
    start = datetime(2019, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 1, tzinfo=UTC) - start).total_seconds()
    rows = []
    with transaction.atomic():
        for n in range(have, target):
            site_id, place, district = rng.choice(sites)
            reported = start + timedelta(seconds=rng.random() * span)
            is_open = rng.random() < 0.004 or n % 250 == 0
            state = rng.choice(open_states) if is_open else ("closed" if rng.random() < 0.93 else "rejected")
            closed = state == "closed"
            rows.append(Event(
                number=f"BENCH{n:08d}", site_id=site_id, category_id=rng.choice(categories),
                description="基准测试事件：营业网点未按规定执行收寄验视制度。", jurisdiction_id=place,
                district_id=district, reported_by_id=reporter, reported_at=reported, state=state,
                deadline=(reported + timedelta(days=7)).date() if state in ("rectifying", "closed") else None,
                handled_level="city" if rng.random() < 0.08 else "district",
                closure_level=("city" if rng.random() < 0.08 else "district") if closed else "",
                closed_at=reported + timedelta(days=rng.randrange(2, 30)) if closed else None,
            ))
            if len(rows) >= BATCH:
                Event.objects.bulk_create(rows)
                rows = []
        Event.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE events_event")


# --- measuring --------------------------------------------------------------------------------------------------

RESULTS: list[tuple[int, str, float, int, int]] = []


def measure(events: int, label: str, fn, *, runs: int = RUNS) -> None:
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = fn()
    assert response.status_code == 200, (label, response.status_code, response.content[:300])
    size = len(response.content)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    RESULTS.append((events, label, ms, len(queries), size))
    print(f"{events:>9,d}  {label:<52} {ms:8.1f} ms  {len(queries):4d} q  {size:>10,d} B", flush=True)


def export_in_worker(events: int, label: str, username: str, source: str, params: dict) -> None:
    """Queue an export like the page does, then run it in a separate process as the worker would.

    Peak memory is the worker process's VmHWM (ru_maxrss would carry over the parent's across exec).

    Code from before background exports (for before/after figures) exported in the request: that is timed.
    """
    try:
        from parcelwatch.exports.services import request_export
    except ImportError:
        client = Client()
        client.force_login(User.objects.get(username=username))
        url = {"events": "/events/"}[source] + "?" + "&".join(f"{k}={v}" for k, v in {**params, "format": "xlsx"}.items())
        t0 = time.perf_counter()
        response = client.get(url)
        ms = (time.perf_counter() - t0) * 1000
        RESULTS.append((events, f"{label} [in the request, {len(response.content):,} bytes]", ms, 0, 0))
        print(f"{events:>9,d}  {label:<52} {ms:8.1f} ms  in the request (before background exports)", flush=True)
        return

    with transaction.atomic():
        job = request_export(actor=User.objects.get(username=username), source=source, params=params)
    code = ("import django, sys, resource, time; django.setup(); "
            "from parcelwatch.exports.services import run_export; t=time.perf_counter(); "
            f"state=run_export({job.pk}); "
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
            "print(state, round((time.perf_counter()-t)*1000,1), int(hwm) // 1024)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    state, ms, rss = out.stdout.split()[-3:]
    job.refresh_from_db()
    rows = job.rows_total or 0
    RESULTS.append((events, f"{label} [worker, {rows:,} rows, {rss} MB RSS, {state}]", float(ms), 0, rows))
    print(f"{events:>9,d}  {label:<52} {float(ms):8.1f} ms  worker: {state}, {rows:,} rows, peak RSS {rss} MB",
          flush=True)


def run_step(events: int) -> None:
    officer, district, leader, grid, enterprise = (
        Client(), Client(), Client(), Client(), Client())
    for client, name in ((officer, "city_officer"), (district, "hanjiang_officer"), (leader, "city_leader"),
                         (grid, "hanjiang_grid"), (enterprise, "zto_safety")):
        client.force_login(User.objects.get(username=name))
    key, _token = issue_api_token(User.objects.get(username="city_officer"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    sample = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    measure(events, "home page, city officer", lambda: officer.get("/"))
    measure(events, "home page, district officer", lambda: district.get("/"))
    measure(events, "home page, leader", lambda: leader.get("/"))
    measure(events, "home page, grid worker", lambda: grid.get("/"))
    measure(events, "home page, enterprise", lambda: enterprise.get("/"))
    measure(events, "to-do page, city officer", lambda: officer.get("/events/todo/"))
    measure(events, "to-do page, district officer", lambda: district.get("/events/todo/"))
    measure(events, "event list (25 rows), city officer", lambda: officer.get("/events/"))
    measure(events, "event list, filtered (district, state, category)",
            lambda: officer.get("/events/?district=350303&state=closed&category=BA02"))
    measure(events, "event list, search by number", lambda: officer.get(f"/events/?q=BENCH{sample:08d}"[:40]))
    measure(events, "event detail", lambda: officer.get(f"/events/{sample}/"))
    measure(events, "API /events?state=closed&limit=100", lambda: officer.get("/api/v1/events?state=closed&limit=100",
                                                                             **auth))
    measure(events, "API /events?limit=100", lambda: officer.get("/api/v1/events?limit=100", **auth))
    measure(events, "site map data (cold)", lambda: officer.get("/registry/sites/map/data/?fresh=1"), runs=3)
    measure(events, "site map data (cached)", lambda: officer.get("/registry/sites/map/data/"))
    measure(events, "site list (25 rows)", lambda: officer.get("/registry/sites/"))
    measure(events, "case list 2019", lambda: officer.get("/enforcement/cases/?year=2019"))
    export_in_worker(events, "export events of 2024", "city_officer", "events", {"year": "2024"})
    if events <= 300_000:
        export_in_worker(events, "export all events", "city_officer", "events", {})


def write_markdown(path: Path, sites: int) -> None:
    steps = sorted({r[0] for r in RESULTS})
    labels = list(dict.fromkeys(r[1].split(" [")[0] for r in RESULTS))
    table = {(r[0], r[1].split(" [")[0]): r for r in RESULTS}
    lines = [f"Database: {connection.vendor}; sites: {sites:,}; median of {RUNS} requests (ms), queries per request.",
             "", "| | " + " | ".join(f"{s:,} events" for s in steps) + " |",
             "|---|" + "---|" * len(steps)]
    for label in labels:
        cells = []
        for s in steps:
            r = table.get((s, label))
            if r is None:
                cells.append("—")
            elif " [worker" in r[1]:
                cells.append(f"{r[2]:,.0f} ms ({r[1].split('[worker, ')[1].rstrip(']')})")
            else:
                cells.append(f"{r[2]:,.1f} ms · {r[3]} q · {r[4] / 1024:,.0f} KB")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")
    print(f"Markdown table written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="10000,100000,1000000")
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    rng = random.Random(2026)
    call_command("migrate", verbosity=0)
    call_command("loaddemo", verbosity=0, stdout=open(os.devnull, "w"))
    t0 = time.perf_counter()
    add_sites(args.sites, rng)
    print(f"sites: {Site.objects.count():,} ({time.perf_counter() - t0:.0f} s)", flush=True)
    for step in (int(s) for s in args.steps.split(",")):
        t0 = time.perf_counter()
        add_events(step, rng)
        print(f"--- {Event.objects.count():,} events ({time.perf_counter() - t0:.0f} s to add) ---", flush=True)
        run_step(step)
    if args.markdown:
        write_markdown(args.markdown, args.sites)


if __name__ == "__main__":
    main()

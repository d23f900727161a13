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
if not os.environ.get("PW_VAR_DIR"):  # a new folder only when none is given
    os.environ["PW_VAR_DIR"] = tempfile.mkdtemp(prefix="pw-scale-")
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


# How long after the report each open state is typically reached (days): an open event is recent.
OPEN_AGE_DAYS = {"reported": (0.02, 3), "accepted": (0.5, 5), "rectifying": (1, 14), "rectification_submitted": (3, 14),
                 "escalated": (10, 40), "under_enforcement": (14, 60), "awaiting_confirmation": (2, 15)}


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


def lifecycle(rng: random.Random, reported: datetime, state: str, now: datetime) -> tuple[str, dict]:
    """The state and stage columns of an event headed for `state`, consistent with the workflow (events/services.py):
    decided a few hours after the report; on the spot or by a reminder letter (deadline about five working
    days later), acknowledged, rectified within or after the deadline, ~7% sent back once or twice; ~8% of the
    letters escalated the day after their deadline, then rectified under enforcement and closed at city level;
    rejected reports only decided.

    History ("closed", "rejected") stops at `now`: a recent report is still open at the stage it has reached.
    An open state asked for explicitly is reached by `now` (a chain that would overrun it is compressed)."""
    f = {"decided_at": None, "letter_at": None, "acknowledged_at": None, "rectified_at": None, "escalated_at": None,
         "awaiting_since": None, "closed_at": None, "deadline": None, "missed_deadline": False, "rework_count": 0,
         "handled_level": "district", "closure_level": ""}
    if state == "reported":
        return state, f
    t = {"decided_at": reported + timedelta(minutes=rng.randrange(20, 8 * 60))}
    if state in ("accepted", "rejected", "merged"):
        return _at_now(state, f, t, now) if state == "rejected" else (state, _fit(f, t, reported, now))
    on_spot = state in ("closed", "awaiting_confirmation") and rng.random() < 0.15
    if on_spot:
        t["awaiting_since"] = t["decided_at"] + timedelta(minutes=rng.randrange(10, 180))
    else:
        letter = t["letter_at"] = t["decided_at"] + timedelta(minutes=rng.randrange(10, 180))
        deadline = letter + timedelta(days=7)
        if state != "rectifying" or rng.random() < 0.7:
            t["acknowledged_at"] = letter + timedelta(hours=rng.uniform(1, 30))
        escalate = state in ("escalated", "under_enforcement") or (
            state in ("closed", "awaiting_confirmation") and rng.random() < 0.094)
        if escalate:
            t["escalated_at"] = deadline + timedelta(days=1, minutes=rng.randrange(60, 120))
            f["handled_level"], f["missed_deadline"] = "city", True
            if state in ("closed", "awaiting_confirmation") or (state == "under_enforcement" and rng.random() < 0.5):
                t["rectified_at"] = t["escalated_at"] + _days(rng, 3, 30)
            if state in ("closed", "awaiting_confirmation"):
                t["awaiting_since"] = t["rectified_at"] + _days(rng, 5, 40)
        elif state != "rectifying" or rng.random() < 0.1:  # rectifying again after a failed check
            late = rng.random() < 0.1
            fix = letter + (_days(rng, 7.1, 12) if late else _days(rng, 0.3, 6.9))
            f["missed_deadline"] = late
            if rng.random() < 0.09 or state == "rectifying":
                f["rework_count"] = 2 if rng.random() < 0.2 else 1
                fix += _days(rng, 2, 7) * f["rework_count"]
            if state != "rectifying":
                t["rectified_at"] = fix
            if state in ("closed", "awaiting_confirmation"):
                t["awaiting_since"] = fix + timedelta(hours=rng.uniform(2, 48))
    if state == "closed":
        t["closed_at"] = t["awaiting_since"] + _days(rng, 0.3, 3)
        f["closure_level"] = f["handled_level"]
        return _at_now(state, f, t, now)
    f = _fit(f, t, reported, now)
    if f["letter_at"] is not None:
        f["deadline"] = (f["letter_at"] + SH + timedelta(days=7)).date()
    return state, f


def _at_now(target: str, f: dict, times: dict, now: datetime) -> tuple[str, dict]:
    """The event as it stands at `now`: the stages reached so far, and the state they put it in."""
    reached = {name for name, at in times.items() if at <= now}
    if len(reached) == len(times):
        state = target
    elif "decided_at" not in reached:
        state = "reported"
    elif "awaiting_since" in reached:
        state = "awaiting_confirmation"
    elif "rectified_at" in reached:
        state = "under_enforcement" if "escalated_at" in reached else "rectification_submitted"
    elif "escalated_at" in reached:
        state = "escalated"
    elif "letter_at" in reached:
        state = "rectifying"
    else:
        state = "accepted"
    for name, at in times.items():
        f[name] = at if name in reached else None
    if state != "closed":
        f["closure_level"] = ""
    if "escalated_at" not in reached:
        f["handled_level"] = "district"
        if "rectified_at" not in reached:  # a late fix counts once submitted
            f["missed_deadline"] = False
    if "rectified_at" not in reached:
        f["rework_count"] = 0
    if f["letter_at"] is not None:
        f["deadline"] = (f["letter_at"] + SH + timedelta(days=7)).date()
    return state, f


def _fit(f: dict, times: dict, reported: datetime, now: datetime) -> dict:
    last = max(times.values())
    limit = now - timedelta(minutes=5)
    scale = (limit - reported) / (last - reported) if last > limit and last > reported else 1
    for name, at in times.items():
        f[name] = reported + (at - reported) * scale
    return f


def add_events(target: int, rng: random.Random, reporters: dict[int, list[int]] | None = None,
               inspectors: dict[int, list[int]] | None = None) -> None:
    """Events as history accumulates them, from 2019 to now: most closed (the last weeks' reports still open at the
    stage they have reached), plus a steady few thousand open in every state (reported in the last weeks), each
    with its stage columns filled as the workflow would (`lifecycle`).

    `reporters` maps a district id to the grid workers who report there (default: hanjiang_grid reports
    everything); `inspectors` to the officers whose own inspections (source "inspection", ~12%) are reported."""
    have = Event.objects.count()
    if have >= target:
        return
    sites = list(Site.objects.values_list("pk", "jurisdiction_id", "district_id"))
    categories = list(EventCategory.objects.values_list("pk", flat=True))
    reporter = User.objects.get(username="hanjiang_grid").pk
    open_states = ["reported", "accepted", "rectifying", "rectification_submitted", "escalated",
                   "under_enforcement", "awaiting_confirmation"]
    start = datetime(2019, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    span = (now - start).total_seconds()
    rows = []
    with transaction.atomic():
        for n in range(have, target):
            site_id, place, district = rng.choice(sites)
            reported = start + timedelta(seconds=rng.random() * span)
            is_open = rng.random() < 0.004 or n % 250 == 0
            state = rng.choice(open_states) if is_open else ("closed" if rng.random() < 0.93 else "rejected")
            if is_open:
                reported = now - _days(rng, *OPEN_AGE_DAYS[state])
            source, who = "grid", reporter
            if inspectors and inspectors.get(district) and rng.random() < 0.12:
                source, who = "inspection", rng.choice(inspectors[district])
            elif reporters and reporters.get(district):
                who = rng.choice(reporters[district])
            state, stages = lifecycle(rng, reported, state, now)
            rows.append(Event(
                number=f"BENCH{n:08d}", site_id=site_id, category_id=rng.choice(categories),
                description="基准测试事件：营业网点未按规定执行收寄验视制度。", jurisdiction_id=place,
                district_id=district, reported_by_id=who, reported_at=reported, state=state, source=source, **stages,
            ))
            if len(rows) >= BATCH:
                Event.objects.bulk_create(rows)
                rows = []
        Event.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        # Every table (the sites added before the events too): what autovacuum keeps current on a live database.
        cursor.execute("ANALYZE")


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

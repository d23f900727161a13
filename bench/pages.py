"""Benchmark: registry, event and case pages, API, map data and exports on the full Putian demo data.

Prints wall time (median of several runs) and the number of SQL queries per request, so
an N+1 regression shows up as a query count that grows with the page size.

    make bench        (or: PYTHONPATH=src .venv/bin/python bench/pages.py)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
if not os.environ.get("PW_VAR_DIR"):  # a new folder only when none is given
    os.environ["PW_VAR_DIR"] = tempfile.mkdtemp(prefix="pw-bench-")
Path(os.environ["PW_VAR_DIR"], "static").mkdir(exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parcelwatch.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from parcelwatch.accounts.models import User  # noqa: E402
from parcelwatch.accounts.services import issue_api_token  # noqa: E402

RUNS = 7


def measure(label: str, fn) -> None:
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = fn()
    assert response.status_code == 200, (label, response.status_code)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<48} {statistics.median(times):8.1f} ms   {len(queries):4d} queries   {len(response.content):>9,d} bytes")


def measure_export(label: str, user, source: str) -> None:
    """An export as the worker runs it: queued like the page queues it, then written."""
    from django.db import transaction

    from parcelwatch.exports.services import request_export, run_export

    times = []
    for _ in range(3):
        with transaction.atomic():
            job = request_export(actor=user, source=source, params={})
        start = time.perf_counter()
        run_export(job.pk)
        times.append((time.perf_counter() - start) * 1000)
    job.refresh_from_db()
    print(f"{label:<48} {statistics.median(times):8.1f} ms   {job.rows_total:,d} rows, {job.state}")


def main() -> None:
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("loaddemo", verbosity=0, stdout=open(os.devnull, "w"))
    print(f"{'loaddemo (553 outlets, 24 sorting centres)':<48} {(time.perf_counter() - start) * 1000:8.1f} ms")
    client = Client()
    user = User.objects.get(username="city_officer")
    client.force_login(user)
    key, _token = issue_api_token(user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    measure("site list page (25 rows)", lambda: client.get("/registry/sites/"))
    measure("site list page, search + filters", lambda: client.get("/registry/sites/?q=中通&district=350303&kind=outlet"))
    measure("enterprise list page", lambda: client.get("/registry/enterprises/"))
    measure("safety officer list page", lambda: client.get("/registry/officers/"))
    measure("site detail page", lambda: client.get("/registry/sites/1/"))
    measure("map data, all sites", lambda: client.get("/registry/sites/map/data/"))
    measure("API /sites?limit=100", lambda: client.get("/api/v1/sites?limit=100", **auth))
    measure("API /safety-officers?limit=100", lambda: client.get("/api/v1/safety-officers?limit=100", **auth))
    measure_export("export all sites to .xlsx (background worker)", user, "sites")
    measure("event list page (25 rows)", lambda: client.get("/events/"))
    measure("my to-do page", lambda: client.get("/events/todo/"))
    measure("event detail page with timeline", lambda: client.get("/events/1/"))
    measure("case list page, 2019", lambda: client.get("/enforcement/cases/?year=2019"))
    measure("API /events?limit=100", lambda: client.get("/api/v1/events?limit=100", **auth))
    measure("API /cases?year=2019", lambda: client.get("/api/v1/cases?year=2019&limit=100", **auth))


if __name__ == "__main__":
    main()

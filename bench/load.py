"""Load and soak benchmark: event intake through the REST API, on PostgreSQL, with two app processes.

    DATABASE_URL=postgres://user@127.0.0.1:5432/parcelwatch .venv/bin/python bench/load.py --seconds 60
    DATABASE_URL=... .venv/bin/python bench/load.py --soak 600              # the 10-minute soak

Migrates the database and loads the Putian demo if it is empty, starts gunicorn with two worker processes on
127.0.0.1 (sync workers; --threads N runs N threads in each instead), and has --clients concurrent clients
(threads of this process) report events as
grid workers do: a multipart POST /api/v1/events with a photo, at the sites of 涵江. Every photo is a new file (a
unique JPEG comment), so each report stores its photo and makes its thumbnail as in real use. Prints throughput, latency
percentiles (p50/p95/p99) and errors; the soak also samples the app processes' memory (RSS) every 15 seconds and
prints its first, middle and last values and the growth per minute.

The load runs on the same two cores as the app processes and the database, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import http.client
import io
import itertools
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
if not os.environ.get("PW_VAR_DIR"):  # a new folder only when none is given
    os.environ["PW_VAR_DIR"] = tempfile.mkdtemp(prefix="pw-load-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parcelwatch.settings")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart  # noqa: E402
from PIL import Image  # noqa: E402


def prepare() -> tuple[str, list[int]]:
    """A grid worker covering all of 涵江 (so that reports spread over its sites) and that worker's token."""
    from parcelwatch.accounts.models import Jurisdiction, Membership, Role, User
    from parcelwatch.accounts.services import issue_api_token
    from parcelwatch.registry.models import Site

    call_command("migrate", verbosity=0)
    call_command("loaddemo", "--if-empty", verbosity=0, stdout=io.StringIO())
    hanjiang = Jurisdiction.objects.get(code="350303")
    user, _created = User.objects.get_or_create(username="bench_grid", defaults={"full_name": "压测网格员"})
    Membership.objects.get_or_create(user=user, jurisdiction=hanjiang, role=Role.GRID_WORKER)
    sites = list(Site.objects.filter(district=hanjiang).exclude(status=Site.Status.CLOSED).values_list("pk", flat=True))
    return issue_api_token(user, days=1)[0], sites


# Each photo carries this JPEG comment; every request writes a new value over it, of the same length, so no two
# reports send the same file (the store keeps one copy of identical files and its thumbnail: a repeated photo
# would cost the server neither).
STAMP = b"pw-bench-photo:" + b"0" * 20


def photo(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (seed % 256, (seed // 256) % 256, 120)).save(out, "JPEG", quality=80)
    jpeg = out.getvalue()
    comment = b"\xff\xfe" + (len(STAMP) + 2).to_bytes(2, "big") + STAMP  # a COM segment, right after SOI
    return jpeg[:2] + comment + jpeg[2:]


def stamps():
    """New values for STAMP, unique across runs (a random prefix) and within one (a counter)."""
    prefix = secrets.token_hex(4)
    return (f"pw-bench-photo:{prefix}{n:012d}".encode() for n in itertools.count())


def bodies(sites: list[int], count: int = 64) -> list[bytes]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    rng = random.Random(7)
    return [encode_multipart(BOUNDARY, {"site": str(rng.choice(sites)), "category": rng.choice(["RS01", "YS01",
                                                                                                "AJ01", "BA02"]),
                                        "description": "压测：现场检查发现问题",
                                        "photos": SimpleUploadedFile("现场.jpg", photo(n), "image/jpeg")})
            for n in range(count)]


def waiting_for_credit() -> int:
    """Enterprises waiting for their credit recalculation (the scheduler has a worker take them every minute; no
    worker runs here)."""
    from parcelwatch.assessment.models import CreditRecalculation

    return CreditRecalculation.objects.count()


def thumbnails_after(sample: int = 500) -> str:
    """The photos left waiting for their thumbnail, and what the worker's job costs: it is run here on a sample."""
    from parcelwatch.evidence.models import Attachment
    from parcelwatch.evidence.thumbnails import make_waiting_thumbnails

    waiting = Attachment.objects.filter(thumbnail_pending=True).count()
    cpu, wall = time.process_time(), time.monotonic()
    made = make_waiting_thumbnails(limit=sample)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    if not made:
        return f"{waiting} photos waiting for their thumbnail"
    return (f"{waiting} photos waiting for their thumbnail; the worker's job made {made} of them in {wall:.1f} s "
            f"({cpu / made * 1000:.1f} ms of CPU each, {made / wall:.0f} a second on one core)")


def calibration_ms() -> float:
    """The CPU time of a fixed pure-Python loop (best of five): how fast this machine runs Python at the time of the
    run. The same machine has given figures a third apart from one day to the next; this says which kind of day."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.process_time() - started)
    return best * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_servers(port: int, threads: int = 1) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DEBUG": "false"}
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "parcelwatch.wsgi:application",
                                "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", str(threads),
                                "--log-level", "warning"], env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def app_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [master] + [int(p) for p in children.read_text().split()] if children.exists() else [master]


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def run(port: int, token: str, payloads: list[bytes], seconds: float, clients: int, on_tick=None) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": MULTIPART_CONTENT}
    unique = stamps()

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = n
        while time.monotonic() < stop:
            with lock:
                stamp = next(unique)
            body = payloads[i % len(payloads)].replace(STAMP, stamp, 1)
            i += clients
            started = time.monotonic()
            try:
                conn.request("POST", "/api/v1/events", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.monotonic() - started
            with lock:
                if status == 201:
                    latencies.append(elapsed)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        if on_tick:
            on_tick(time.monotonic() - began)
    duration = time.monotonic() - began
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    return {"events": len(ordered), "seconds": duration, "per_second": len(ordered) / duration,
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.fmean(ordered) * 1000 if ordered else float("nan"), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="length of the intake run (default 60)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per app process (default 1: a sync worker, the fastest for intake)")
    parser.add_argument("--soak", type=float, default=0, help="also soak for this many seconds (600: ten minutes)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("NOTE: not PostgreSQL (set DATABASE_URL): the targets are for PostgreSQL.")
    token, sites = prepare()
    payloads = bodies(sites)
    port = free_port()
    server = start_servers(port, args.threads)
    try:
        run(port, token, payloads, 5, args.clients)  # warm up: connections, caches, JIT of the templates
        result = run(port, token, payloads, args.seconds, args.clients)
        print(f"Event intake, {args.clients} clients, {result['seconds']:.0f} s, 2 app processes × {args.threads} "
              f"thread(s) "
              f"({connection.vendor}, {os.cpu_count()} cores):")
        print(f"  {result['per_second']:.1f} events/s  p50 {result['p50']:.0f} ms  p95 {result['p95']:.0f} ms  "
              f"p99 {result['p99']:.0f} ms  ({result['events']} events, errors: {result['errors'] or 'none'})")
        print("  targets: >= 200 events/s, p99 <= 250 ms")
        print(f"  this machine's Python speed at the time: a fixed loop took {calibration_ms():.1f} ms of CPU "
              f"({sys.implementation.name} {sys.version.split()[0]}, {os.path.realpath(sys.executable)})")
        print(f"  left for the worker: {waiting_for_credit()} enterprises waiting for their credit recalculation "
              f"(one each, however many reports); {thumbnails_after()}")
        if args.soak:
            pids = app_pids(server.pid)
            samples: list[tuple[float, float]] = [(0.0, rss_mb(pids))]

            def tick(elapsed: float) -> None:
                if elapsed - samples[-1][0] >= 15:
                    samples.append((elapsed, rss_mb(app_pids(server.pid))))
            soak = run(port, token, payloads, args.soak, args.clients, on_tick=tick)
            samples.append((soak["seconds"], rss_mb(app_pids(server.pid))))
            half = samples[len(samples) // 2]
            second_half = [s for s in samples if s[0] >= soak["seconds"] / 2]
            growth = ((second_half[-1][1] - second_half[0][1]) / max((second_half[-1][0] - second_half[0][0]) / 60,
                                                                      1e-9)) if len(second_half) > 1 else 0.0
            print(f"Soak, {soak['seconds']:.0f} s: {soak['events']} events, {soak['per_second']:.1f}/s, "
                  f"p99 {soak['p99']:.0f} ms, errors: {soak['errors'] or 'none'}")
            print(f"  app memory (RSS, all processes): start {samples[0][1]:.0f} MB, middle {half[1]:.0f} MB, "
                  f"end {samples[-1][1]:.0f} MB; second half {growth:+.2f} MB/min")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(f"(state kept in {settings.VAR_DIR}; the database is {connection.settings_dict['NAME']})")


if __name__ == "__main__":
    main()

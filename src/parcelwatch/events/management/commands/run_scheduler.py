"""Queue periodic work for the task workers (the deadline sweep), every SWEEP_INTERVAL_SECONDS.

Run one scheduler per deployment; run as many `db_worker` processes as needed.
Queuing twice is harmless: the sweep locks each event and re-checks its state.
"""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from parcelwatch.events.tasks import sweep_deadlines
from parcelwatch.housekeeping import housekeeping

HOUSEKEEPING_EVERY = 3600


class Command(BaseCommand):
    help = "Queue the deadline sweep periodically for the background workers."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Queue once and exit.")

    def handle(self, *args, once: bool = False, **options):
        stop = False

        def _stop(*_args):
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        last_housekeeping = 0.0
        while not stop:
            result = sweep_deadlines.enqueue()
            self.stdout.write(f"Queued deadline sweep {result.id}")
            if time.monotonic() - last_housekeeping >= HOUSEKEEPING_EVERY or not last_housekeeping:
                housekeeping.enqueue()
                last_housekeeping = time.monotonic()
            if once:
                return
            waited = 0.0
            while waited < settings.SWEEP_INTERVAL_SECONDS and not stop:
                time.sleep(1)
                waited += 1

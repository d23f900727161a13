"""Recompute every event's statistics facts and the monthly rollups from the events.

The workflow keeps them current by itself; run this after loading events in bulk outside it
(a migration from another system, a benchmark), or to check nothing has drifted.
"""

import time

from django.core.management.base import BaseCommand

from parcelwatch.analytics.services import rebuild_statistics


class Command(BaseCommand):
    help = "Recompute the statistics facts and monthly rollups from the events."

    def handle(self, *args, **options):
        started = time.perf_counter()

        def progress(done: int) -> None:
            self.stdout.write(f"  {done:,} events…")

        result = rebuild_statistics(progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"{result['events']:,} events, {result['rollups']:,} rollup rows "
            f"({time.perf_counter() - started:.1f} s)"))

"""Queue periodic work for the task workers: the deadline sweep every SWEEP_INTERVAL_SECONDS, the camera
health probes every VIDEO_PROBE_INTERVAL_SECONDS, housekeeping, duty-report, emergency-plan and memorandum reminders hourly, the credit
grades of the enterprises that changed every minute, every credit grade daily, and the thumbnails of new photos
every few seconds.

Run one scheduler per deployment; run as many `db_worker` processes as needed.
Queuing twice is harmless: the sweep locks each event and re-checks its state, and each camera probe is
claimed before it runs.
"""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from parcelwatch.assessment.tasks import recalculate_all_credit, recalculate_requested_credit
from parcelwatch.collaboration.tasks import remind_expiring_memoranda
from parcelwatch.emergency.tasks import remind_expiring_plans
from parcelwatch.events.tasks import sweep_deadlines
from parcelwatch.evidence.tasks import make_thumbnails
from parcelwatch.housekeeping import housekeeping
from parcelwatch.ops.tasks import heartbeat
from parcelwatch.selfcheck.tasks import remind_duty_reports
from parcelwatch.video.tasks import probe_cameras

HOUSEKEEPING_EVERY = 3600
CREDIT_EVERY = 24 * 3600  # old records leave the credit windows by the day
# The enterprises whose credit inputs changed are regraded within this time, each once however many changes (a run
# with nothing waiting costs one query).
CREDIT_WAITING_EVERY = 60
# New photos get their thumbnails within this time (a run with nothing waiting costs one query).
THUMBNAILS_EVERY = 10


class Command(BaseCommand):
    help = "Queue the periodic work (deadline sweep, camera probes, housekeeping) for the background workers."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Queue everything once and exit.")

    def handle(self, *args, once: bool = False, **options):
        stop = False

        def _stop(*_args):
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        jobs = [(heartbeat, settings.HEARTBEAT_INTERVAL_SECONDS, "worker heartbeat"),
                (sweep_deadlines, settings.SWEEP_INTERVAL_SECONDS, "deadline sweep"),
                (probe_cameras, settings.VIDEO_PROBE_INTERVAL_SECONDS, "camera probes"),
                (housekeeping, HOUSEKEEPING_EVERY, "housekeeping"),
                (remind_duty_reports, HOUSEKEEPING_EVERY, "duty report reminders"),
                (remind_expiring_plans, HOUSEKEEPING_EVERY, "emergency plan expiry reminders"),
                (remind_expiring_memoranda, HOUSEKEEPING_EVERY, "memorandum expiry reminders"),
                (recalculate_requested_credit, CREDIT_WAITING_EVERY, "credit grades waiting"),
                (make_thumbnails, THUMBNAILS_EVERY, "thumbnails of new photos"),
                (recalculate_all_credit, CREDIT_EVERY, "credit grades")]
        last: dict[str, float] = {}
        while not stop:
            for task, every, label in jobs:
                if label not in last or time.monotonic() - last[label] >= every:
                    result = task.enqueue()
                    last[label] = time.monotonic()
                    self.stdout.write(f"Queued {label} {result.id}")
            if once:
                return
            time.sleep(1)

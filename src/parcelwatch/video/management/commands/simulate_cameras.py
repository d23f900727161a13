"""Feed the demo's simulated devices: one ffmpeg test source per enabled simulated camera, served as HLS, and
heartbeats of the simulated X-ray machines, sent through the platform's API with each machine's device key.

`make run` starts this beside the web server (`--api` is the web server's address). The devices to feed are
read from the database every few seconds, so a simulated camera disabled in the platform goes offline, as a
real one would.
"""

import json
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from parcelwatch.demo.loader import DEMO_XRAY_OFF
from parcelwatch.video.management.commands.media_gateway import parse_address
from parcelwatch.video.models import Camera, XrayMachine
from parcelwatch.video.simulator import serve_directory, start_source
from parcelwatch.video.xray import device_key

REFRESH_SECONDS = 10
HEARTBEAT_SECONDS = 300  # a real machine reports every few minutes; XRAY_STALE_MINUTES is 15


def send_heartbeats(api: str, rng: random.Random) -> tuple[int, int]:
    """One heartbeat per simulated machine, as the machine itself would send it. Returns (sent, failed)."""
    sent = failed = 0
    for machine in XrayMachine.objects.filter(simulated=True, enabled=True):
        on = machine.serial != DEMO_XRAY_OFF
        body = json.dumps({"serial": machine.serial, "powered_on": on, "scans": rng.randint(20, 160) if on else 0})
        request = urllib.request.Request(f"{api}/api/v1/xray/heartbeats", data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-Device-Key": device_key(machine)})
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (our own web server)
                sent += 1
        except (OSError, urllib.error.HTTPError):
            failed += 1
    return sent, failed


class Command(BaseCommand):
    help = "Run the demo's simulated cameras (ffmpeg test sources with the site's name and the clock)."

    def add_arguments(self, parser):
        parser.add_argument("--api", default="", help="the web server's address, e.g. http://127.0.0.1:8000, "
                                                      "for the X-ray heartbeats (none sent without it)")

    def handle(self, *args, api: str = "", **options):
        root = Path(settings.VAR_DIR) / "simulated-cameras"
        root.mkdir(parents=True, exist_ok=True)
        try:
            server = serve_directory(root, parse_address(settings.VIDEO_SIMULATOR_ADDRESS))
        except OSError as exc:
            raise CommandError(f"The simulated cameras cannot listen on {settings.VIDEO_SIMULATOR_ADDRESS} ({exc}); "
                               "set VIDEO_SIMULATOR_ADDRESS to a free port.") from None
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        signal.signal(signal.SIGINT, lambda *_a: stop.set())
        sources = {}
        rng = random.Random()
        last_beat = 0.0
        try:
            while not stop.is_set():
                if api and time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    sent, failed = send_heartbeats(api.rstrip("/"), rng)
                    # The web server may still be starting: when nothing got through, try again soon.
                    last_beat = time.monotonic() if sent else time.monotonic() - HEARTBEAT_SECONDS + REFRESH_SECONDS
                    if failed and sent:
                        self.stderr.write(f"X-ray heartbeats: {sent} sent, {failed} not accepted")
                wanted = {c.stream_key: c for c in
                          Camera.objects.filter(simulated=True, enabled=True).select_related("site")}
                for key in list(sources):
                    if key not in wanted or not sources[key].running():
                        sources.pop(key).stop()
                for key, camera in wanted.items():
                    if key not in sources:
                        try:
                            sources[key] = start_source(root, key, f"{camera.site.name} · {camera.name}",
                                                        ffmpeg=settings.FFMPEG)
                        except OSError as exc:
                            raise CommandError(f"ffmpeg cannot run ({exc}): install it (make run does).") from None
                stop.wait(REFRESH_SECONDS)
        finally:
            for source in sources.values():
                source.stop()
            server.shutdown()

"""Feed the demo's simulated cameras: one ffmpeg test source per enabled simulated camera, served as HLS.

`make run` starts this beside the web server. The cameras to feed are read from the database every few
seconds, so a simulated camera disabled in the platform goes offline, as a real one would.
"""

import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from parcelwatch.video.management.commands.media_gateway import parse_address
from parcelwatch.video.models import Camera
from parcelwatch.video.simulator import serve_directory, start_source

REFRESH_SECONDS = 10


class Command(BaseCommand):
    help = "Run the demo's simulated cameras (ffmpeg test sources with the site's name and the clock)."

    def handle(self, *args, **options):
        root = Path(settings.VAR_DIR) / "simulated-cameras"
        root.mkdir(parents=True, exist_ok=True)
        server = serve_directory(root, parse_address(settings.VIDEO_SIMULATOR_ADDRESS))
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        signal.signal(signal.SIGINT, lambda *_a: stop.set())
        sources = {}
        try:
            while not stop.is_set():
                wanted = {c.stream_key: c for c in
                          Camera.objects.filter(simulated=True, enabled=True).select_related("site")}
                for key in list(sources):
                    if key not in wanted or not sources[key].running():
                        sources.pop(key).stop()
                for key, camera in wanted.items():
                    if key not in sources:
                        sources[key] = start_source(root, key, f"{camera.site.name} · {camera.name}",
                                                    ffmpeg=settings.FFMPEG)
                stop.wait(REFRESH_SECONDS)
        finally:
            for source in sources.values():
                source.stop()
            server.shutdown()

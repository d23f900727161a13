"""Run the embedded media gateway: ffmpeg turns watched cameras into HLS (see video/supervisor.py)."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from parcelwatch.video.gateway import gateway_token
from parcelwatch.video.supervisor import StreamSupervisor, serve


def parse_address(value: str) -> tuple[str, int]:
    host, _sep, port = value.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise CommandError(f"Bad address {value!r}: use host:port") from None


class Command(BaseCommand):
    help = "Run the embedded media gateway (live HLS from camera sources, on demand)."

    def handle(self, *args, **options):
        address = parse_address(settings.VIDEO_GATEWAY_ADDRESS)
        supervisor = StreamSupervisor(settings.VIDEO_HLS_DIR, max_streams=settings.VIDEO_MAX_STREAMS,
                                      idle_seconds=settings.VIDEO_IDLE_SECONDS, ffmpeg=settings.FFMPEG,
                                      source_timeout=settings.VIDEO_PROBE_TIMEOUT_SECONDS)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        signal.signal(signal.SIGINT, lambda *_a: stop.set())
        self.stdout.write(f"Media gateway on {address[0]}:{address[1]}, up to {settings.VIDEO_MAX_STREAMS} streams")
        try:
            serve(supervisor, address, gateway_token(), stop)
        except OSError as exc:
            raise CommandError(f"The media gateway cannot listen on {address[0]}:{address[1]} ({exc}); "
                               "set VIDEO_GATEWAY_ADDRESS to a free port.") from None

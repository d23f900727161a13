"""Cameras for the cast, and real streams: ffmpeg test sources on 127.0.0.1 act as cameras."""

import socket
import threading
import time
from pathlib import Path

import pytest

from parcelwatch.video.gateway import gateway_token
from parcelwatch.video.models import Camera
from parcelwatch.video.simulator import serve_directory, start_source
from parcelwatch.video.supervisor import StreamSupervisor, serve

CHANNEL = "35030300481328{:06d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 20.0, step: float = 0.2):
    """Poll until `predicate()` is truthy (real processes take real seconds); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not true within {timeout} s: {predicate}")


@pytest.fixture
def cameras(cast):
    """A camera at a 涵江 outlet (zto), a second one there, and one at a 荔城 outlet (yto)."""
    hanjiang = Camera.objects.create(site=cast.hanjiang_outlet, name="收寄验视台", position="acceptance",
                                     gb_channel_id=CHANNEL.format(1), source_url="rtsp://admin:Secret9@10.0.0.5:554/1")
    hanjiang2 = Camera.objects.create(site=cast.hanjiang_outlet_g2, name="安检机", position="xray",
                                      source_url="rtsp://10.0.0.6:554/1")
    licheng = Camera.objects.create(site=cast.licheng_outlet, name="出入口", position="entrance",
                                    source_url="rtsp://10.0.0.7:554/1")
    return hanjiang, hanjiang2, licheng


class Sources:
    """Test sources served as HLS on 127.0.0.1 (what the demo's simulated cameras are)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.server = serve_directory(root, ("127.0.0.1", self.port))
        self.running = {}

    def url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/{key}/index.m3u8"

    def start(self, key: str, title: str = "测试分拨中心 · 分拣区") -> str:
        self.running[key] = start_source(self.root, key, title, size="320x180", rate=10)
        wait_for(lambda: (self.root / key / "index.m3u8").is_file(), timeout=30)
        return self.url(key)

    def stop(self, key: str) -> None:
        self.running.pop(key).stop()

    def close(self) -> None:
        for source in self.running.values():
            source.stop()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sources(tmp_path):
    s = Sources(tmp_path / "sources")
    yield s
    s.close()


@pytest.fixture
def gateway(settings, tmp_path):
    """The embedded media gateway, running in this process on a free port."""
    settings.VIDEO_GATEWAY = "ffmpeg"
    settings.VIDEO_HLS_DIR = tmp_path / "hls"
    settings.VIDEO_GATEWAY_ADDRESS = f"127.0.0.1:{free_port()}"
    host, port = settings.VIDEO_GATEWAY_ADDRESS.split(":")
    supervisor = StreamSupervisor(settings.VIDEO_HLS_DIR, max_streams=2, idle_seconds=4,
                                  source_timeout=5)
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(supervisor, (host, int(port)), gateway_token(), stop), daemon=True)
    thread.start()
    wait_for(lambda: _listening(host, int(port)), timeout=10)
    yield supervisor
    stop.set()
    thread.join(timeout=15)


def _listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0

"""Simulated cameras for the demo and the tests: ffmpeg test sources, served as live HLS on 127.0.0.1.

Each source is a moving test pattern with the site's name, the camera's name, the clock and the word
模拟画面 (SIMULATED) burnt in, encoded as H.264 in 2-second segments under <root>/<key>/, and served by a
small HTTP server at http://<address>/<key>/index.m3u8 — an HLS camera like any other to the gateway, the
probes and the snapshots. Stopping a source removes its files, so it goes offline as a real camera would.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)


def _font() -> str:
    for path in FONT_FILES:
        if Path(path).is_file():
            return f"fontfile={path}"
    return "font=Noto Sans CJK SC"


def _label(text: str, x: str, y: str, size: str, font: str, *, file: Path | None = None) -> str:
    source = f"textfile={file}" if file is not None else f"text={text}"
    return (f"drawtext={font}:{source}:x={x}:y={y}:fontsize={size}:fontcolor=white:"
            "box=1:boxcolor=black@0.55:boxborderw=6")


def source_command(ffmpeg: str, directory: Path, title_file: Path, *, size: str = "640x360", rate: int = 12) -> list:
    font = _font()
    clock = "'%{localtime\\:%Y-%m-%d %T}'"
    filters = ",".join([
        _label("", "h/22", "h/11", "h/17", font, file=title_file),
        _label(clock, "h/22", "h-h/8", "h/17", font),
        _label("'模拟画面 SIMULATED'", "w-tw-h/22", "h-h/5.2", "h/21", font),
    ])
    gop = str(rate * 2)
    return [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}", "-vf", filters,
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
            "-f", "hls", "-hls_time", "2", "-hls_list_size", "5",
            "-hls_flags", "delete_segments+omit_endlist+program_date_time",
            "-hls_segment_filename", str(directory / "seg%06d.ts"), str(directory / "index.m3u8")]


@dataclass
class TestSource:
    key: str
    directory: Path
    process: subprocess.Popen

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_source(root: Path, key: str, title: str, *, ffmpeg: str = "ffmpeg", size: str = "640x360",
                 rate: int = 12) -> TestSource:
    directory = Path(root) / key
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    title_file = directory / "title.txt"
    title_file.write_text(title, encoding="utf-8")
    env = {**os.environ, "TZ": "Asia/Shanghai"}
    log = open(directory / "ffmpeg.log", "wb")  # noqa: SIM115 (owned by the process)
    try:
        process = subprocess.Popen(source_command(ffmpeg, directory, title_file, size=size, rate=rate),  # noqa: S603
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env,
                                   start_new_session=True)
    except OSError:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    finally:
        log.close()
    return TestSource(key=key, directory=directory, process=process)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def list_directory(self, path):  # only the playlists and segments, never an index of the folder
        self.send_error(404)
        return None


def serve_directory(root: Path, address: tuple[str, int]) -> ThreadingHTTPServer:
    """Serve `root` over HTTP on `address` in a background thread; call .shutdown() to stop."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(address, handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    return server

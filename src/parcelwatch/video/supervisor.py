"""The embedded media gateway process (`manage.py media_gateway`).

On request from the web processes it starts one ffmpeg per watched camera, pulling the camera's source and
writing HLS (2-second segments, a short rolling playlist) under VIDEO_HLS_DIR/<stream key>/, which Django
serves to viewers after checking their permissions. Every request for a stream's files touches its
`.viewed` file; a stream nobody fetched for VIDEO_IDLE_SECONDS is stopped and its files removed, and no
more than VIDEO_MAX_STREAMS run at once (the next viewer is told the limit is reached).

Control API on 127.0.0.1 (X-Gateway-Token required): POST /streams/<key> {"url", "transcode"} (answers
{"state": "starting" | "running"} — running once the playlist exists — or {"error": busy | offline}),
DELETE /streams/<key>, GET /streams. The process needs no database.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .sources import SCHEMES, input_args, without_credentials

log = logging.getLogger("parcelwatch.video.gateway")
KEY = re.compile(r"^[a-z0-9_-]{1,40}$")
VIEWED = ".viewed"
FAILURE_HOLD_SECONDS = 10


@dataclass
class Stream:
    key: str
    url: str
    process: subprocess.Popen
    directory: Path
    started: float = field(default_factory=time.time)
    transcode: bool = False

    def last_viewed(self) -> float:
        try:
            return max(self.started, (self.directory / VIEWED).stat().st_mtime)
        except OSError:
            return self.started


def hls_command(ffmpeg: str, url: str, directory: Path, *, transcode: bool, timeout: float) -> list[str]:
    video = (["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "50", "-pix_fmt", "yuv420p"]
             if transcode else ["-c:v", "copy"])
    return [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", *input_args(url, timeout_seconds=timeout),
            "-map", "0:v:0", "-an", *video, "-f", "hls", "-hls_time", "2", "-hls_list_size", "6",
            "-hls_flags", "delete_segments+omit_endlist+program_date_time",
            "-hls_segment_filename", str(directory / "seg%06d.ts"), str(directory / "index.m3u8")]


class StreamSupervisor:
    def __init__(self, root: Path, *, max_streams: int, idle_seconds: float, ffmpeg: str = "ffmpeg",
                 source_timeout: float = 10) -> None:
        self.root = Path(root)
        self.max_streams = max_streams
        self.idle_seconds = idle_seconds
        self.ffmpeg = ffmpeg
        self.source_timeout = source_timeout
        self.streams: dict[str, Stream] = {}
        self.failures: dict[str, tuple[float, str]] = {}  # key -> (when, why) of a stream whose ffmpeg ended
        self.lock = threading.Lock()
        self.root.mkdir(parents=True, exist_ok=True)

    def clean_leftovers(self) -> None:
        """Streams left by a previous run: no process writes there any more (called once this process owns the
        control port, so that a second gateway started by mistake cannot delete a running one's streams)."""
        for leftover in self.root.iterdir():
            if leftover.is_dir() and KEY.match(leftover.name) and leftover.name not in self.streams:
                shutil.rmtree(leftover, ignore_errors=True)

    def start(self, key: str, url: str, *, transcode: bool = False) -> dict:
        if not KEY.match(key):
            return {"error": "failed", "detail": "bad stream key"}
        if url.split(":", 1)[0].lower() not in SCHEMES:
            return {"error": "failed", "detail": "unsupported source"}
        with self.lock:
            running = self.streams.get(key)
            if running is not None and running.process.poll() is None and running.url == url:
                (running.directory / VIEWED).touch()
                ready = (running.directory / "index.m3u8").is_file()
                return {"state": "running" if ready else "starting", "key": key}
            failed = self.failures.get(key)
            if running is None and failed is not None and time.time() - failed[0] < FAILURE_HOLD_SECONDS:
                # The source just failed: say so instead of hammering it (a retry after the hold starts again).
                return {"error": "offline", "detail": failed[1]}
            if running is not None:
                self._stop(running)
            if len(self.streams) >= self.max_streams:
                return {"error": "busy", "detail": f"{self.max_streams} streams are running"}
            directory = self.root / key
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
            (directory / VIEWED).touch()
            command = hls_command(self.ffmpeg, url, directory, transcode=transcode, timeout=self.source_timeout)
            stderr = open(directory / "ffmpeg.log", "wb")  # noqa: SIM115 (owned by the process)
            try:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # noqa: S603
                                           stderr=stderr, start_new_session=True)
            except OSError as exc:  # ffmpeg itself is missing or cannot run
                shutil.rmtree(directory, ignore_errors=True)
                return {"error": "unavailable", "detail": f"ffmpeg: {exc}"[:200]}
            finally:
                stderr.close()
            self.streams[key] = Stream(key=key, url=url, process=process, directory=directory, transcode=transcode)
            self.failures.pop(key, None)
            log.info("stream %s started (pid %s)", key, process.pid)
            return {"state": "starting", "key": key}

    def stop(self, key: str) -> bool:
        with self.lock:
            stream = self.streams.get(key)
            if stream is None:
                return False
            self._stop(stream)
            return True

    def _stop(self, stream: Stream) -> None:
        if stream.process.poll() is None:
            stream.process.terminate()
            try:
                stream.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                stream.process.kill()
                stream.process.wait()
        shutil.rmtree(stream.directory, ignore_errors=True)
        self.streams.pop(stream.key, None)

    def reap(self) -> None:
        """Stop what nobody watches; forget what died (remembering why, for the next viewer)."""
        now = time.time()
        with self.lock:
            for stream in list(self.streams.values()):
                if stream.process.poll() is not None:
                    try:
                        lines = (stream.directory / "ffmpeg.log").read_text("utf-8", "replace").strip().splitlines()
                    except OSError:
                        lines = []
                    why = without_credentials(lines[-1] if lines else "the source ended")[:200]
                    self.failures[stream.key] = (now, why)
                    log.info("stream %s ended: %s", stream.key, why)
                    self._stop(stream)
                elif now - stream.last_viewed() > self.idle_seconds:
                    log.info("stream %s idle, stopped", stream.key)
                    self._stop(stream)

    def status(self) -> list[dict]:
        with self.lock:
            return [{"key": s.key, "pid": s.process.pid, "started": s.started, "last_viewed": s.last_viewed(),
                     "transcode": s.transcode} for s in self.streams.values()]

    def shutdown(self) -> None:
        with self.lock:
            for stream in list(self.streams.values()):
                self._stop(stream)


def make_server(supervisor: StreamSupervisor, address: tuple[str, int], token: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # the web server logs requests; this would only repeat them
            pass

        def _reply(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorised(self) -> bool:
            if self.headers.get("X-Gateway-Token") != token:
                self._reply(403, {"error": "failed", "detail": "bad token"})
                return False
            return True

        def _key(self) -> str | None:
            match = re.fullmatch(r"/streams/([a-z0-9_-]{1,40})", self.path)
            return match.group(1) if match else None

        def do_GET(self) -> None:
            if not self._authorised():
                return
            if self.path == "/streams":
                self._reply(200, {"streams": supervisor.status(), "max_streams": supervisor.max_streams})
            else:
                self._reply(404, {"error": "failed", "detail": "not found"})

        def do_POST(self) -> None:
            if not self._authorised():
                return
            key = self._key()
            try:
                length = min(int(self.headers.get("Content-Length") or 0), 8192)
                body = json.loads(self.rfile.read(length) or b"{}")
                url = str(body["url"])
            except (ValueError, KeyError, TypeError):
                self._reply(400, {"error": "failed", "detail": "bad request"})
                return
            if key is None:
                self._reply(404, {"error": "failed", "detail": "not found"})
                return
            result = supervisor.start(key, url, transcode=bool(body.get("transcode")))
            status = 200 if "state" in result else {"busy": 429, "offline": 502, "unavailable": 503}.get(
                result["error"], 400)
            self._reply(status, result)

        def do_DELETE(self) -> None:
            if not self._authorised():
                return
            key = self._key()
            if key is None:
                self._reply(404, {"error": "failed", "detail": "not found"})
                return
            self._reply(200, {"stopped": supervisor.stop(key)})

    server = ThreadingHTTPServer(address, Handler)
    server.daemon_threads = True
    return server


def serve(supervisor: StreamSupervisor, address: tuple[str, int], token: str, stop: threading.Event) -> None:
    """Answer the control API and reap idle streams until `stop` is set."""
    server = make_server(supervisor, address, token)
    supervisor.clean_leftovers()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True)
    thread.start()
    try:
        while not stop.wait(1.0):
            supervisor.reap()
    finally:
        server.shutdown()
        server.server_close()
        supervisor.shutdown()

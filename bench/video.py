"""Benchmark: what a live view costs on this machine, and how many concurrent views it serves without stalls.

Cameras are played from a 720p H.264 recording (testsrc2, 25 fps, 2-second GOP) looped by ffmpeg in real time
and served as HLS on 127.0.0.1 (copying, so the stand-in cameras cost almost nothing, as real cameras cost
this machine nothing). The embedded media gateway (video/supervisor.py) then runs one ffmpeg per watched
camera, exactly as in production, and a viewer per stream reads the playlist every second and every new
segment from the gateway's HLS folder, as hls.js fetches them through the web server (which only sends files). For 1, 2, 4, 6 and 8 concurrent views it reports the gateway's CPU (percent of one
core, from /proc) and memory (RSS) per stream, the machine's load, and stalls: a view stalls when no new
segment arrives for more than three segment durations.

    PYTHONPATH=src .venv/bin/python bench/video.py                      # copy (H.264 cameras)
    PYTHONPATH=src .venv/bin/python bench/video.py --transcode          # cameras whose codec the browser can't play
    PYTHONPATH=src .venv/bin/python bench/video.py --views 1,4 --seconds 30
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from parcelwatch.video.simulator import serve_directory  # noqa: E402
from parcelwatch.video.supervisor import StreamSupervisor  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def make_recording(path: Path, seconds: int = 30) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=1280x720:rate=25:duration={seconds}", "-c:v", "libx264", "-preset", "veryfast",
                    "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", "2M",
                    "-f", "mpegts", str(path)], check=True)


def start_camera(recording: Path, root: Path, key: str) -> subprocess.Popen:
    """A stand-in camera: the recording looped in real time, copied into a rolling HLS playlist."""
    directory = root / key
    directory.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(recording), "-c", "copy",
         "-f", "hls", "-hls_time", "2", "-hls_list_size", "5", "-hls_flags", "delete_segments+omit_endlist",
         "-hls_segment_filename", str(directory / "seg%06d.ts"), str(directory / "index.m3u8")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


class Viewer(threading.Thread):
    """Fetch the playlist each second and every segment it lists that is new, like hls.js; note the longest
    time without a new segment."""

    def __init__(self, directory: Path, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.directory, self.stop_event = directory, stop
        self.seen: set[str] = set()
        self.last_new = None
        self.longest_gap = 0.0
        self.bytes = 0

    def run(self) -> None:
        while not self.stop_event.wait(1.0):
            (self.directory / ".viewed").touch(exist_ok=True)
            try:
                playlist = (self.directory / "index.m3u8").read_text()
            except OSError:
                continue
            now = time.monotonic()
            for name in re.findall(r"^(seg\d+\.ts)$", playlist, re.M):
                if name not in self.seen:
                    self.seen.add(name)
                    try:
                        self.bytes += (self.directory / name).stat().st_size
                    except OSError:
                        pass
                    if self.last_new is not None:
                        self.longest_gap = max(self.longest_gap, now - self.last_new)
                    self.last_new = now
            if self.last_new is not None:
                self.longest_gap = max(self.longest_gap, now - self.last_new)


def measure(views: int, seconds: int, recording: Path, work: Path, transcode: bool) -> dict:
    cameras_root = work / f"cameras-{views}"
    hls_root = work / f"hls-{views}"
    server = serve_directory(cameras_root, ("127.0.0.1", 0))
    port = server.server_address[1]
    cameras = [start_camera(recording, cameras_root, f"cam{i}") for i in range(views)]
    deadline = time.monotonic() + 30
    while not all((cameras_root / f"cam{i}" / "index.m3u8").is_file() for i in range(views)):
        if time.monotonic() > deadline:
            raise SystemExit("the stand-in cameras did not start")
        time.sleep(0.2)
    supervisor = StreamSupervisor(hls_root, max_streams=views, idle_seconds=seconds + 60, source_timeout=10)
    for i in range(views):
        answer = supervisor.start(f"cam{i}", f"http://127.0.0.1:{port}/cam{i}/index.m3u8", transcode=transcode)
        assert "state" in answer, answer
    stop = threading.Event()
    viewers = [Viewer(hls_root / f"cam{i}", stop) for i in range(views)]
    time.sleep(6)  # first segments
    for viewer in viewers:
        viewer.start()
    pids = [s.process.pid for s in supervisor.streams.values()]
    ticks0, wall0, load0 = sum(cpu_ticks(p) for p in pids), time.monotonic(), os.getloadavg()[0]
    rss_samples = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(2)
        rss_samples.append(sum(rss_mb(p) for p in pids) / len(pids))
    ticks1, wall1 = sum(cpu_ticks(p) for p in pids), time.monotonic()
    stop.set()
    for viewer in viewers:
        viewer.join(timeout=5)
    alive = sum(1 for s in supervisor.streams.values() if s.process.poll() is None)
    supervisor.shutdown()
    for camera in cameras:
        camera.terminate()
        camera.wait(timeout=10)
    server.shutdown()
    server.server_close()
    cpu = (ticks1 - ticks0) / TICK / (wall1 - wall0) * 100
    longest = max(v.longest_gap for v in viewers)
    mbit = sum(v.bytes for v in viewers) * 8 / 1e6 / seconds
    return {"views": views, "cpu_total": cpu, "cpu_per_stream": cpu / views,
            "rss_per_stream": sum(rss_samples) / len(rss_samples), "longest_gap": longest,
            "stalls": sum(1 for v in viewers if v.longest_gap > 6.0 or not v.seen), "alive": alive,
            "load": max(os.getloadavg()[0], load0), "mbit": mbit}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--views", default="1,2,4,6,8")
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--transcode", action="store_true", help="re-encode to H.264 instead of copying")
    args = parser.parse_args()
    if not shutil.which("ffmpeg"):
        raise SystemExit("ffmpeg is missing: `make test` or scripts/system-packages.sh installs it")
    work = Path(tempfile.mkdtemp(prefix="pw-bench-video-"))
    try:
        recording = work / "camera.ts"
        make_recording(recording)
        version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
        print(f"Machine: {os.cpu_count()} cores, {platform.platform()}, {version}")
        print(f"Mode: {'transcode (libx264 veryfast)' if args.transcode else 'copy'}; source 1280x720 H.264 25 fps "
              f"2 Mbit/s; {args.seconds} s per step\n")
        print("| concurrent views | gateway CPU (% of one core) | CPU per stream | RSS per stream (MB) | "
              "HLS delivered (Mbit/s) | longest gap between segments (s) | stalled views | load (1 min) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for views in (int(v) for v in args.views.split(",")):
            r = measure(views, args.seconds, recording, work, args.transcode)
            print(f"| {r['views']} | {r['cpu_total']:.1f} | {r['cpu_per_stream']:.1f} | {r['rss_per_stream']:.1f} | "
                  f"{r['mbit']:.1f} | {r['longest_gap']:.1f} | {r['stalls']} of {views} | {r['load']:.2f} |",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

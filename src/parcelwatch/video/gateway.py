"""The media gateway: one interface between the platform and whatever turns camera sources into video.

`get_gateway()` returns the configured implementation:

* FfmpegGateway (embedded default): live view through the `media_gateway` process (video/supervisor.py),
  which runs one ffmpeg per watched camera writing HLS that Django serves to the browser under the
  viewer's own permissions; health probes and snapshots run ffprobe/ffmpeg directly.
* ZlmGateway (large deployments): a ZLMediaKit server pulls the sources (addStreamProxy) and serves HLS
  itself; health from getMediaList/isMediaOnline, stills from getSnap (video/zlm.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy

from .models import Camera
from .sources import input_args, without_credentials

JPEG_MAGIC = b"\xff\xd8\xff"
# What a probe found, in the words shown on camera pages (ffmpeg's own error lines are quoted as they are).
NO_ANSWER = gettext_lazy("No answer within %(n)d seconds")
NO_FRAMES = gettext_lazy("The source sends no video frames")
UNREADABLE = gettext_lazy("The probe's answer could not be read")


class GatewayError(Exception):
    """code: busy (stream limit reached), unavailable (the gateway is not running), offline (the camera is
    not delivering video), failed (anything else)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass
class Playback:
    url: str  # the HLS playlist for the browser
    ready: bool  # False while the stream is starting: ask again in a moment


@dataclass
class ProbeResult:
    online: bool
    fps: Decimal | None = None
    width: int | None = None
    height: int | None = None
    codec: str = ""
    error: str = ""
    latency_ms: int | None = None
    frame_at: datetime | None = None


class MediaGateway:
    name = ""

    def play(self, camera: Camera) -> Playback:
        """Start (or keep) the camera's live stream. Asking again while it starts is how callers wait."""
        raise NotImplementedError

    def play_for(self, camera: Camera, user) -> Playback:
        """play() for one viewer (a gateway that serves players itself adds what admits this user)."""
        return self.play(camera)

    def stop(self, camera: Camera) -> None:
        raise NotImplementedError

    def probe(self, camera: Camera) -> ProbeResult:
        raise NotImplementedError

    def snapshot(self, camera: Camera) -> bytes:
        """A JPEG of the camera's current picture; GatewayError("offline") when there is none."""
        raise NotImplementedError

    def streams(self) -> list[dict]:
        """The live streams the gateway is running now."""
        raise NotImplementedError


def gateway_token() -> str:
    """Shared by the web processes and the media_gateway process of one installation (derived from SECRET_KEY)."""
    return salted_hmac("parcelwatch.video.gateway", "control").hexdigest()


def _fps(rate: str | None) -> Decimal | None:
    try:
        num, _sep, den = (rate or "").partition("/")
        value = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return None
    if not 0 < value < 1000:
        return None
    return Decimal(f"{value:.1f}")


STALE = gettext_lazy("The HLS source has published no new segment since %(at)s")


def _stale_hls(url: str, timeout: float) -> str:
    """For an HLS source: a reason when its live playlist has stopped moving, else "".

    ffprobe reads the segments a frozen playlist still lists, so a camera whose encoder died would probe online.
    A live playlist's last segment (by #EXT-X-PROGRAM-DATE-TIME, which cameras and gateways write) must be
    younger than three target durations plus two minutes of clock difference."""
    if not url.lower().startswith(("http://", "https://")):
        return ""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (checked http(s) source)
            text = response.read(256 * 1024).decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""  # ffprobe has just read it: a passing network error is not a verdict
    if "#EXT-X-ENDLIST" in text:
        return ""  # a finished recording, not a live camera: nothing to say about its age
    stamps = re.findall(r"^#EXT-X-PROGRAM-DATE-TIME:(.+)$", text, re.M)
    target = re.search(r"^#EXT-X-TARGETDURATION:(\d+)", text, re.M)
    if not stamps:
        return ""
    try:
        last = datetime.fromisoformat(stamps[-1].strip().replace("Z", "+00:00"))
    except ValueError:
        return ""
    if last.tzinfo is None:
        return ""
    limit = 3 * (int(target.group(1)) if target else 10) + 120
    if (timezone.now() - last).total_seconds() > limit:
        return str(STALE) % {"at": timezone.localtime(last).strftime("%Y-%m-%d %H:%M:%S")}
    return ""


def _last_error_line(stderr: bytes) -> str:
    """ffmpeg's last word, without the passwords of the addresses it quotes."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return without_credentials(lines[-1] if lines else "")[:200]


class FfmpegGateway(MediaGateway):
    name = "ffmpeg"

    def __init__(self, address: str | None = None) -> None:
        self.address = address or settings.VIDEO_GATEWAY_ADDRESS

    # --- live view through the media_gateway process ------------------------------------------------------

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://{self.address}{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "X-Gateway-Token": gateway_token()},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (our own local process)
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                payload = json.loads(exc.read() or b"{}")
            except ValueError:
                payload = {}
            raise GatewayError(payload.get("error") or "failed", payload.get("detail", "")) from None
        except (OSError, ValueError) as exc:
            raise GatewayError("unavailable", str(exc)[:200]) from None

    def play(self, camera: Camera) -> Playback:
        answer = self._call("POST", f"/streams/{camera.stream_key}",
                            {"url": camera.source_url, "transcode": camera.codec not in ("", "h264")})
        return Playback(url=reverse("video:live_file", args=[camera.pk, "index.m3u8"]),
                        ready=answer.get("state") == "running")

    def stop(self, camera: Camera) -> None:
        self._call("DELETE", f"/streams/{camera.stream_key}")

    def streams(self) -> list[dict]:
        return self._call("GET", "/streams").get("streams", [])

    # --- health and stills, run directly --------------------------------------------------------------------

    def probe(self, camera: Camera) -> ProbeResult:
        timeout = settings.VIDEO_PROBE_TIMEOUT_SECONDS
        command = [settings.FFPROBE, "-v", "error", "-of", "json", "-select_streams", "v:0", "-show_streams",
                   "-show_frames", "-read_intervals", "%+#1", *input_args(camera.source_url, timeout_seconds=timeout)]
        started = time.monotonic()
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout + 2, check=False)  # noqa: S603
        except subprocess.TimeoutExpired:
            return ProbeResult(online=False, error=str(NO_ANSWER) % {"n": timeout})
        except OSError as exc:  # ffprobe itself is missing: the platform, not the camera, is broken
            raise GatewayError("unavailable", f"ffprobe: {exc}"[:200]) from None
        latency = int((time.monotonic() - started) * 1000)
        if done.returncode != 0:
            return ProbeResult(online=False, error=_last_error_line(done.stderr) or str(NO_FRAMES), latency_ms=latency)
        try:
            info = json.loads(done.stdout or b"{}")
        except ValueError:
            return ProbeResult(online=False, error=str(UNREADABLE), latency_ms=latency)
        streams, frames = info.get("streams") or [], info.get("frames") or []
        if not streams or not frames:
            return ProbeResult(online=False, error=str(NO_FRAMES), latency_ms=latency)
        stale = _stale_hls(camera.source_url, timeout)
        if stale:
            return ProbeResult(online=False, error=stale, latency_ms=latency)
        stream = streams[0]
        return ProbeResult(
            online=True, fps=_fps(stream.get("avg_frame_rate")) or _fps(stream.get("r_frame_rate")),
            width=stream.get("width") or None, height=stream.get("height") or None,
            codec=str(stream.get("codec_name") or "")[:16], latency_ms=latency, frame_at=timezone.now(),
        )

    def snapshot(self, camera: Camera) -> bytes:
        timeout = settings.VIDEO_PROBE_TIMEOUT_SECONDS
        command = [settings.FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error",
                   *input_args(camera.source_url, timeout_seconds=timeout),
                   "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", "pipe:1"]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout + 5, check=False)  # noqa: S603
        except subprocess.TimeoutExpired:
            raise GatewayError("offline", "timeout") from None
        except OSError as exc:
            raise GatewayError("failed", str(exc)[:200]) from None
        if done.returncode != 0 or not done.stdout.startswith(JPEG_MAGIC):
            raise GatewayError("offline", _last_error_line(done.stderr))
        return done.stdout


def get_gateway() -> MediaGateway:
    if settings.VIDEO_GATEWAY == "zlmediakit":
        from .zlm import ZlmGateway

        return ZlmGateway()
    return FfmpegGateway()

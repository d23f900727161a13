"""The ZLMediaKit adapter of the media gateway, for large deployments (VIDEO_GATEWAY=zlmediakit).

ZLMediaKit pulls each watched camera (addStreamProxy, with auto_close so that it drops a stream 20 s after its
last viewer), serves HLS to the browser itself (http://…/{app}/{stream}/hls.m3u8), reports health
(getMediaList, isMediaOnline) and takes stills (getSnap). Its HTTP API answers 200 with a JSON `code`:
0 success, -1 failure, -100 authentication, -300 bad arguments, -400 exception, -500 not found; a list with
nothing in it has no `data` at all. getSnap answers with the JPEG itself, or — on failure — its default logo
(image/png) or ffmpeg's log (text/plain): only image/jpeg that starts like a JPEG is a still.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.utils import timezone

from .gateway import JPEG_MAGIC, NO_FRAMES, GatewayError, MediaGateway, Playback, ProbeResult
from .models import Camera
from .sources import without_credentials

VHOST = "__defaultVhost__"
CODECS = {"H264": "h264", "H265": "hevc", "VP8": "vp8", "VP9": "vp9", "AV1": "av1"}


class ZlmGateway(MediaGateway):
    name = "zlmediakit"

    def __init__(self, api_url: str | None = None, secret: str | None = None, play_url: str | None = None,
                 app: str | None = None) -> None:
        self.api_url = (api_url or settings.ZLM_API_URL).rstrip("/")
        self.secret = secret if secret is not None else settings.ZLM_SECRET
        self.play_url = (play_url or settings.ZLM_PLAY_URL or self.api_url).rstrip("/")
        self.app = app or settings.ZLM_APP
        # addStreamProxy answers only after its first play attempt (up to timeout_sec): wait longer than that.
        self.source_timeout = settings.VIDEO_PROBE_TIMEOUT_SECONDS

    # --- the HTTP API --------------------------------------------------------------------------------------------

    def _request(self, name: str, params: dict, *, timeout: float) -> tuple[str, bytes]:
        body = urllib.parse.urlencode({"secret": self.secret, **params}).encode()
        request = urllib.request.Request(f"{self.api_url}/index/api/{name}", data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured server)
                return response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as exc:
            raise GatewayError("unavailable", f"ZLMediaKit {name}: HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise GatewayError("unavailable", f"ZLMediaKit {name}: {exc}"[:200]) from None

    def _api(self, name: str, *, timeout: float = 5, **params) -> dict:
        _type, raw = self._request(name, params, timeout=timeout)
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            raise GatewayError("failed", f"ZLMediaKit {name}: not JSON") from None
        if not isinstance(answer, dict):
            raise GatewayError("failed", f"ZLMediaKit {name}: not a JSON object")
        code = answer.get("code")
        if code == -100:
            raise GatewayError("unavailable", f"ZLMediaKit refused the API secret ({answer.get('msg', '')})")
        if code != 0:
            raise ZlmRefused(code, str(answer.get("msg", "")))
        return answer

    def _stream(self, camera: Camera) -> dict:
        return {"vhost": VHOST, "app": self.app, "stream": camera.stream_key}

    def _media(self, camera: Camera) -> list[dict]:
        return self._api("getMediaList", **self._stream(camera)).get("data") or []

    def _proxy(self, camera: Camera, *, capped: bool = True) -> None:
        """Have ZLMediaKit pull the camera (once: a proxy that exists already is fine). Viewers are capped at
        VIDEO_MAX_STREAMS streams; a health probe is not (its pull closes by itself 20 s later)."""
        items = [i for i in self._api("getMediaList", vhost=VHOST, app=self.app).get("data") or []
                 if isinstance(i, dict)]
        mine = [i for i in items if i.get("stream") == camera.stream_key]
        if mine and all(i.get("originUrl") in (None, camera.source_url) for i in mine):
            return
        if mine:  # the camera's source changed since ZLMediaKit started pulling it
            self.stop(camera)
        # Streams being watched count against the cap; a probe's pull (no readers) does not.
        watched = {i.get("stream") for i in items if (i.get("totalReaderCount") or 0) > 0}
        if capped and len(watched - {camera.stream_key}) >= settings.VIDEO_MAX_STREAMS:
            raise GatewayError("busy", f"{len(watched)} streams are being watched")
        try:
            self._api("addStreamProxy", timeout=self.source_timeout + 5, url=camera.source_url, retry_count=1,
                      timeout_sec=self.source_timeout, enable_hls=1, enable_mp4=0, auto_close=1,
                      **self._stream(camera))
        except ZlmRefused as exc:
            if "already exists" in exc.message:
                return
            raise GatewayError("offline", without_credentials(exc.message)[:200]) from None

    def play_for(self, camera: Camera, user) -> Playback:
        """play(), with the token that lets this user's player through ZLMediaKit's on_play hook."""
        playback = self.play(camera)
        return Playback(url=f"{playback.url}?token={play_token(camera, user)}", ready=playback.ready)

    # --- the gateway ---------------------------------------------------------------------------------------------

    def play(self, camera: Camera) -> Playback:
        self._proxy(camera)
        online = self._api("isMediaOnline", schema="hls", **self._stream(camera)).get("online") is True
        return Playback(url=f"{self.play_url}/{self.app}/{camera.stream_key}/hls.m3u8", ready=online)

    def stop(self, camera: Camera) -> None:
        self._api("close_streams", force=1, **self._stream(camera))
        self._api("delStreamProxy", key=f"{VHOST}/{self.app}/{camera.stream_key}")

    def probe(self, camera: Camera) -> ProbeResult:
        try:
            self._proxy(camera, capped=False)
            media = self._media(camera)
        except GatewayError as exc:
            if exc.code == "unavailable":
                raise  # the media server, not the camera, is down: no verdict on the camera
            return ProbeResult(online=False, error=without_credentials(exc.detail or exc.code)[:200])
        video = [t for item in media for t in item.get("tracks") or [] if t.get("codec_type") == 0 and t.get("ready")]
        if not video:
            return ProbeResult(online=False, error=str(NO_FRAMES))
        track = video[0]
        fps = track.get("fps")
        return ProbeResult(online=True, fps=Decimal(f"{float(fps):.1f}") if fps else None,
                           width=track.get("width") or None, height=track.get("height") or None,
                           codec=CODECS.get(str(track.get("codec_id_name", "")).upper(),
                                            str(track.get("codec_id_name", "")).lower())[:16],
                           frame_at=timezone.now())

    def snapshot(self, camera: Camera) -> bytes:
        content_type, body = self._request("getSnap", {"url": camera.source_url,
                                                       "timeout_sec": self.source_timeout, "expire_sec": 1},
                                           timeout=self.source_timeout + 5)
        if content_type.split(";")[0].strip() == "image/jpeg" and body.startswith(JPEG_MAGIC):
            return body
        if content_type.startswith("application/json"):
            try:
                if json.loads(body).get("code") == -100:
                    raise GatewayError("unavailable", "ZLMediaKit refused the API secret")
            except ValueError:
                pass
        raise GatewayError("offline", "no picture")

    def streams(self) -> list[dict]:
        items = self._api("getMediaList", vhost=VHOST, app=self.app, schema="hls").get("data") or []
        return [{"key": i.get("stream"), "readers": i.get("totalReaderCount", 0), "alive": i.get("aliveSecond", 0)}
                for i in items]


# ZLMediaKit asks the platform before it serves a stream to a player (its on_play hook, pointed at
# /video/zlm/on_play?secret=<ZLM_SECRET>): the player must present a token the platform issued, for that
# camera, to a user who may still watch it, within the last two hours. A guessed URL plays nothing; a shared
# one plays only as long as its token is young and its user keeps the right to watch.
PLAY_TOKEN_MAX_AGE = 2 * 3600


def play_token(camera: Camera, user) -> str:
    return signing.dumps({"s": camera.stream_key, "u": user.pk}, salt="parcelwatch.video.zlm.play")


def token_allows(token: str, stream: str) -> bool:
    from parcelwatch.accounts.models import User

    from .selectors import cameras_visible_to

    try:
        data = signing.loads(token, salt="parcelwatch.video.zlm.play", max_age=PLAY_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return False
    if not isinstance(data, dict) or data.get("s") != stream or not str(stream).startswith("cam"):
        return False
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    camera_id = str(stream)[3:]
    return user is not None and camera_id.isdigit() and cameras_visible_to(user).filter(
        pk=int(camera_id), enabled=True).exists()


class ZlmRefused(GatewayError):
    """ZLMediaKit answered with a failure code: to viewers, the live view could not be started."""

    def __init__(self, code, message: str) -> None:
        super().__init__("failed", message)
        self.zlm_code = code
        self.message = message

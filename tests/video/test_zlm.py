"""The ZLMediaKit adapter against a server answering as ZLMediaKit's HTTP API is documented to."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

import parcelwatch
from parcelwatch.video import services
from parcelwatch.video.gateway import GatewayError, get_gateway
from parcelwatch.video.models import Camera
from parcelwatch.video.zlm import ZlmGateway
from tests.conftest import login
from tests.evidence_files import jpeg

from .fake_zlm import SECRET, FakeZlm

pytestmark = pytest.mark.django_db


@pytest.fixture
def zlm(settings):
    fake = FakeZlm(jpeg())
    settings.VIDEO_GATEWAY = "zlmediakit"
    settings.ZLM_API_URL = fake.url
    settings.ZLM_SECRET = SECRET
    settings.ZLM_PLAY_URL = "https://video.example.cn"
    settings.ZLM_APP = "parcelwatch"
    settings.VIDEO_MAX_STREAMS = 2
    yield fake
    fake.close()


def test_the_configuration_selects_the_adapter(zlm):
    assert isinstance(get_gateway(), ZlmGateway)


def test_playing_pulls_the_camera_once_and_gives_zlms_hls_address(cast, cameras, zlm):
    camera = cameras[0]
    playback = get_gateway().play_for(camera, cast.hanjiang_officer)
    assert playback.url.startswith(f"https://video.example.cn/parcelwatch/cam{camera.pk}/hls.m3u8?token=")
    assert playback.ready
    name, args = next(c for c in zlm.calls if c[0] == "addStreamProxy")
    assert (args["vhost"], args["app"], args["stream"], args["url"]) == (
        "__defaultVhost__", "parcelwatch", f"cam{camera.pk}", camera.source_url)
    assert args["enable_hls"] == "1" and args["auto_close"] == "1"  # ZLM drops it 20 s after the last viewer
    get_gateway().play(camera)  # a second viewer: the proxy exists, nothing is added
    assert [c[0] for c in zlm.calls].count("addStreamProxy") == 1


def test_a_camera_that_does_not_play_is_offline_and_the_stream_cap_holds(cast, cameras, zlm):
    zlm.fail_urls.add(cameras[2].source_url)
    with pytest.raises(GatewayError) as exc:
        get_gateway().play(cameras[2])
    assert exc.value.code == "offline" and "timeout" in exc.value.detail
    get_gateway().play(cameras[0])
    get_gateway().play(cameras[1])
    zlm.readers.update({f"cam{cameras[0].pk}": 1, f"cam{cameras[1].pk}": 1})  # both watched
    with pytest.raises(GatewayError) as exc:
        get_gateway().play(Camera.objects.create(site=cast.licheng_outlet, name="新", position="sorting",
                                                 source_url="rtsp://10.0.0.8/1"))
    assert exc.value.code == "busy"
    get_gateway().stop(cameras[0])
    assert [c[0] for c in zlm.calls][-2:] == ["close_streams", "delStreamProxy"]
    assert f"__defaultVhost__/parcelwatch/cam{cameras[0].pk}" not in zlm.proxies


def test_a_wrong_secret_is_the_gateway_being_unavailable_not_the_camera(cast, cameras, zlm, settings, client):
    settings.ZLM_SECRET = "wrong"
    with pytest.raises(GatewayError) as exc:
        get_gateway().play(cameras[0])
    assert exc.value.code == "unavailable"
    login(client, cast.hanjiang_officer)
    assert client.post(reverse("video:live_start", args=[cameras[0].pk])).status_code == 503
    with pytest.raises(GatewayError):
        get_gateway().probe(cameras[0])  # no verdict on the camera when the server refuses us


def test_probes_read_the_video_track_and_record_health(cast, cameras, zlm):
    result = get_gateway().probe(cameras[0])
    assert result.online and (result.width, result.height, result.codec, result.fps) == (1280, 720, "h264", 25)
    camera = services.record_probe(cameras[0], result)
    assert camera.status == "online" and camera.resolution == "1280×720"
    zlm.fail_urls.add(cameras[1].source_url)
    failed = get_gateway().probe(cameras[1])
    assert not failed.online and "timeout" in failed.error


def test_a_snapshot_is_zlms_jpeg_and_its_default_logo_is_no_snapshot(cast, cameras, zlm):
    shot = services.take_snapshot(cameras[0], actor=cast.hanjiang_officer)
    assert shot.attachment.content_type == "image/jpeg" and len(shot.attachment.sha256) == 64
    zlm.fail_urls.add(cameras[1].source_url)
    with pytest.raises(GatewayError) as exc:
        get_gateway().snapshot(cameras[1])
    assert exc.value.code == "offline"


def test_the_page_plays_from_zlm_and_the_policy_allows_its_origin(cast, cameras, zlm, client, tmp_path):
    login(client, cast.hanjiang_officer)
    answer = client.post(reverse("video:live_start", args=[cameras[0].pk])).json()
    assert answer["playlist"].startswith("https://video.example.cn/parcelwatch/")
    # The Content-Security-Policy is built at start-up from the configuration: start one with ZLMediaKit.
    env = {**os.environ, "VIDEO_GATEWAY": "zlmediakit", "ZLM_API_URL": "http://zlm.internal", "ZLM_SECRET": "s",
           "ZLM_PLAY_URL": "https://video.example.cn/live", "PW_VAR_DIR": str(tmp_path),
           "PYTHONPATH": str(Path(parcelwatch.__file__).resolve().parents[1])}
    code = ("import json, parcelwatch.settings as s; d = s.CONTENT_SECURITY_POLICY['DIRECTIVES'];"
            "print(json.dumps([d['connect-src'], d['media-src']]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    connect, media = json.loads(out)
    assert "https://video.example.cn" in connect and "https://video.example.cn" in media
    env["ZLM_PLAY_URL"] = "javascript:alert(1)"
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "ZLM_PLAY_URL" in refused.stderr


def test_zlm_asks_the_platform_before_playing_and_only_the_issued_token_plays(cast, cameras, zlm, client):
    from urllib.parse import urlsplit

    login(client, cast.hanjiang_officer)
    playlist = client.post(reverse("video:live_start", args=[cameras[0].pk])).json()["playlist"]
    token = urlsplit(playlist).query
    hook = reverse("video:zlm_on_play") + f"?secret={SECRET}"

    def asks(stream, params, url=hook):
        return client.post(url, {"app": "parcelwatch", "stream": stream, "params": params, "schema": "hls",
                                 "ip": "203.0.113.9"}, content_type="application/json")

    assert asks(f"cam{cameras[0].pk}", token).json()["code"] == 0
    assert asks(f"cam{cameras[1].pk}", token).json()["code"] != 0  # that token is for another camera
    assert asks(f"cam{cameras[0].pk}", "").json()["code"] != 0  # a bare URL plays nothing
    assert asks(f"cam{cameras[0].pk}", token + "x").json()["code"] != 0
    assert asks(f"cam{cameras[0].pk}", token, url=reverse("video:zlm_on_play") + "?secret=guess").status_code == 403
    assert client.post(hook, b"not json", content_type="application/json").json()["code"] != 0
    assert client.post(reverse("video:zlm_on_play") + "?secret=é", {}, content_type="application/json").status_code \
        == 403
    # The token's user loses the right to watch: the same URL no longer plays.
    cast.hanjiang_officer.memberships.all().delete()
    assert asks(f"cam{cameras[0].pk}", token).json()["code"] != 0


def test_a_changed_source_is_pulled_anew_and_probes_do_not_use_up_the_viewers_cap(cast, cameras, zlm):
    get_gateway().play(cameras[0])
    cameras[0].source_url = "rtsp://10.0.0.99/new"
    get_gateway().play(cameras[0])
    key = f"__defaultVhost__/parcelwatch/cam{cameras[0].pk}"
    assert zlm.proxies[key]["url"] == "rtsp://10.0.0.99/new"
    # Streams watched count against the cap (2 here); pulls nobody watches (a probe's) do not.
    third = Camera.objects.create(site=cast.licheng_outlet, name="新", position="sorting", source_url="rtsp://10.0.0.8/1")
    for camera in cameras:
        assert get_gateway().probe(camera).online
    get_gateway().play(third)  # four pulls, none watched: allowed
    zlm.readers.update({f"cam{cameras[0].pk}": 1, f"cam{cameras[1].pk}": 2})
    with pytest.raises(GatewayError) as exc:
        get_gateway().play(Camera.objects.create(site=cast.licheng_outlet, name="又一", position="sorting",
                                                 source_url="rtsp://10.0.0.9/1"))
    assert exc.value.code == "busy"
    get_gateway().play(cameras[0])  # a stream already watched takes no new place

"""Real streams: ffmpeg test sources on 127.0.0.1 act as cameras, the embedded gateway turns them into HLS,
the probe reports them online, and offline once their source stops; snapshots are real JPEGs."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from parcelwatch.notifications.models import Notification
from parcelwatch.video import services
from parcelwatch.video.gateway import FfmpegGateway, GatewayError
from parcelwatch.video.models import Camera, CameraProbe
from tests.conftest import login
from tests.hardening.conftest import bearer

from .conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.realtime]


@pytest.fixture
def live_camera(cast, sources):
    url = sources.start("cam-a", "涵江测试网点 · 收寄验视台")
    return Camera.objects.create(site=cast.hanjiang_outlet, name="分拣区实景", position="sorting", source_url=url)


def test_a_running_source_probes_online_with_its_picture(live_camera, settings):
    result = FfmpegGateway().probe(live_camera)
    assert result.online and (result.width, result.height, result.codec) == (320, 180, "h264")
    assert result.fps == 10
    camera = services.record_probe(live_camera, result)
    assert camera.status == "online" and camera.last_frame_at is not None and camera.resolution == "320×180"
    assert CameraProbe.objects.filter(camera=camera, online=True).count() == 1


def test_a_stopped_source_goes_offline_and_the_district_is_alerted(cast, live_camera, sources, settings):
    settings.VIDEO_PROBE_TIMEOUT_SECONDS = 3
    services.record_probe(live_camera, FfmpegGateway().probe(live_camera))
    sources.stop("cam-a")
    result = FfmpegGateway().probe(live_camera)
    assert not result.online and result.error
    camera = services.record_probe(live_camera, result)
    assert camera.status == "offline" and camera.status_since is not None
    alerted = set(Notification.objects.filter(kind="camera_offline").values_list("recipient__username", flat=True))
    assert alerted == {"hanjiang_officer", "zto_safety"}  # the district's officers and the enterprise
    assert [p.online for p in CameraProbe.objects.filter(camera=camera).order_by("at")] == [True, False]


def test_the_sweep_probes_due_cameras_once_each(cast, live_camera, cameras, settings):
    settings.VIDEO_PROBE_TIMEOUT_SECONDS = 2
    counts = services.probe_due_cameras(budget_seconds=60)
    assert counts["probed"] == 4 and counts["online"] == 1
    assert services.probe_due_cameras(budget_seconds=60)["probed"] == 0  # nothing is due again yet
    assert Camera.objects.get(pk=cameras[0].pk).last_error  # unreachable, and said why
    assert "Secret9" not in Camera.objects.get(pk=cameras[0].pk).last_error


def test_a_snapshot_is_a_valid_jpeg_stored_as_evidence_with_its_hash(client, cast, live_camera):
    shot = services.take_snapshot(live_camera, actor=cast.hanjiang_officer)
    with shot.attachment.file.open("rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        assert image.format == "JPEG" and image.size == (320, 180)
    assert len(shot.attachment.sha256) == 64
    login(client, cast.zto_safety)  # the enterprise sees the stills of its own cameras
    assert client.get(reverse("evidence:file", args=[shot.attachment_id])).status_code == 200
    login(client, cast.licheng_officer)
    assert client.get(reverse("evidence:file", args=[shot.attachment_id])).status_code == 404
    response = client.post(f"/api/v1/cameras/{live_camera.pk}/snapshots", {}, content_type="application/json",
                           **bearer(cast.hanjiang_officer))
    assert response.status_code == 201 and response.json()["attachment"]["sha256"]


def test_no_snapshot_from_a_dead_source_is_a_clear_error(client, cast, cameras, settings):
    settings.VIDEO_PROBE_TIMEOUT_SECONDS = 2
    with pytest.raises(GatewayError) as exc:
        services.take_snapshot(cameras[0], actor=cast.hanjiang_officer)
    assert exc.value.code == "offline"
    response = client.post(f"/api/v1/cameras/{cameras[0].pk}/snapshots", {}, content_type="application/json",
                           **bearer(cast.hanjiang_officer))
    assert response.status_code == 502 and response.json()["detail"]


def test_the_gateway_serves_live_hls_to_viewers_and_stops_when_nobody_watches(client, cast, live_camera, gateway):
    login(client, cast.hanjiang_officer)
    start = reverse("video:live_start", args=[live_camera.pk])
    ready = wait_for(lambda: client.post(start).json().get("ready"), timeout=30, step=0.5)
    assert ready
    playlist = client.get(reverse("video:live_file", args=[live_camera.pk, "index.m3u8"]))
    text = b"".join(playlist.streaming_content).decode()
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl" and "#EXTM3U" in text
    segment = next(line for line in text.splitlines() if line.endswith(".ts"))
    media = client.get(reverse("video:live_file", args=[live_camera.pk, segment]))
    assert media.status_code == 200 and b"".join(media.streaming_content)[:1] == b"G"  # MPEG-TS sync byte
    base = reverse("video:live_file", args=[live_camera.pk, "index.m3u8"]).rsplit("/", 1)[0]
    for bad in ("..%2F..%2Fetc%2Fpasswd", "ffmpeg.log", ".viewed", "seg1.ts"):
        assert client.get(f"{base}/{bad}").status_code == 404
    # Through the API with a bearer token too.
    api = client.post(f"/api/v1/cameras/{live_camera.pk}/live", **bearer(cast.zto_safety)).json()
    assert api["ready"] and client.get(api["playlist"], **bearer(cast.zto_safety)).status_code == 200
    # Nobody fetches anything for the idle time: the stream stops and its files go.
    wait_for(lambda: not gateway.status(), timeout=20)
    assert not (gateway.root / live_camera.stream_key).exists()


def test_the_gateway_caps_concurrent_streams(cast, sources, gateway):
    cameras = [Camera.objects.create(site=cast.hanjiang_outlet, name=f"摄像头{i}", position="sorting",
                                     source_url=sources.start(f"cam-{i}")) for i in range(3)]
    gw = FfmpegGateway()
    gw.play(cameras[0])
    gw.play(cameras[1])
    with pytest.raises(GatewayError) as exc:
        gw.play(cameras[2])
    assert exc.value.code == "busy"
    gw.stop(cameras[0])
    assert gw.play(cameras[2]).url.endswith("index.m3u8")


def test_without_a_running_gateway_the_viewer_is_told_so(client, cast, live_camera, settings):
    from .conftest import free_port

    settings.VIDEO_GATEWAY_ADDRESS = f"127.0.0.1:{free_port()}"
    login(client, cast.hanjiang_officer)
    response = client.post(reverse("video:live_start", args=[live_camera.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 503 and response.json()["error"] == "unavailable"


def test_a_frozen_hls_source_that_still_serves_old_segments_is_offline(cast, live_camera, sources, settings):
    """The encoder died but the web server still serves the last playlist: ffprobe alone would read it happily."""
    import re
    from datetime import timedelta

    from django.utils import timezone

    assert FfmpegGateway().probe(live_camera).online
    source = sources.running["cam-a"]
    source.process.terminate()  # the encoder stops; its files stay where the web server serves them
    source.process.wait(timeout=10)
    playlist = source.directory / "index.m3u8"
    old = (timezone.now() - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    playlist.write_text(re.sub(r"(#EXT-X-PROGRAM-DATE-TIME:).*", rf"\g<1>{old}", playlist.read_text()))
    result = FfmpegGateway().probe(live_camera)
    assert not result.online and "HLS" in result.error

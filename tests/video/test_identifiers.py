"""GB/T 28181 identifiers and camera source addresses, checked before anything connects to them."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from parcelwatch.lib import gb28181
from parcelwatch.video.sources import clean_source_url, input_args, shown_source, without_credentials


@pytest.mark.parametrize("value", ["35030200481328000001", "3503 0200 48 132 8 000001", "３５０３０２００４８１３２８０００００１",
                                   "35030200-48-131-8-000001"])
def test_a_well_formed_channel_id_is_accepted_as_typed(value):
    assert gb28181.id_problem(value, channel=True) is None
    assert len(gb28181.normalise(value)) == 20


@pytest.mark.parametrize(("value", "channel", "problem"), [
    ("3503020048132800001", True, "length"),
    ("350302004813280000011", True, "length"),
    ("3503020048132800000A", True, "digits"),
    ("35030200481328١00001", True, "digits"),
    ("99030200481328000001", True, "province"),
    ("35030200481188000001", True, "type"),  # an NVR is a device, not a camera channel
    ("35030200482008000001", False, "type"),  # a central server is not a site's device
    ("35030200481329000001", True, "network"),
])
def test_malformed_ids_are_refused_with_their_reason(value, channel, problem):
    assert gb28181.id_problem(value, channel=channel) == problem


def test_an_id_reads_as_its_parts():
    parsed = gb28181.parse("35030200481328000001")
    assert (parsed.centre, parsed.industry_label, parsed.type_label, parsed.network_label, parsed.serial) == (
        "35030200", "邮政寄递", "网络摄像机", "社会资源接入网", "000001")


@pytest.mark.parametrize("url", ["rtsp://admin:pw@10.1.2.3:554/Streaming/Channels/101", "rtmp://live.example.cn/app/s1",
                                 "https://video.example.cn/live/cam1/index.m3u8", "RTSP://10.0.0.1/ch1"])
def test_rtsp_rtmp_and_hls_sources_are_accepted(url):
    assert clean_source_url(url).lower().startswith(url.split(":")[0].lower())


@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "concat:/etc/passwd", "http://example.cn/video.mp4",
                                 "rtsp://", "rtsp://host:0/x", "rtsp://host:99999/x", "rtsp://ho st/x",
                                 "rtsp://摄像头/x", "javascript:alert(1)", "rtsp://h/" + "x" * 600, "gopher://h/x"])
def test_anything_else_is_refused_in_chinese(url):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        clean_source_url(url)
    with translation.override("zh-hans"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.messages[0]), exc.value.messages


def test_passwords_never_leave_the_server():
    assert shown_source("rtsp://admin:Secret9@10.0.0.5:554/1") == "rtsp://admin:***@10.0.0.5:554/1"
    assert shown_source("rtsp://10.0.0.5/1") == "rtsp://10.0.0.5/1"
    assert without_credentials("[rtsp @ 0x1] rtsp://admin:Secret9@10.0.0.5:554/1: Connection refused") == (
        "[rtsp @ 0x1] rtsp://***@10.0.0.5:554/1: Connection refused")


def test_ffmpeg_reads_only_the_protocols_of_the_source_scheme():
    """An HLS playlist pointing at file:// or concat: cannot make ffmpeg read the server's disk."""
    args = input_args("https://video.example.cn/live/index.m3u8", timeout_seconds=5)
    whitelist = args[args.index("-protocol_whitelist") + 1].split(",")
    assert "file" not in whitelist and "concat" not in whitelist
    assert "file" not in input_args("rtsp://10.0.0.1/1", timeout_seconds=5)[1]

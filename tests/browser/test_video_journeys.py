"""Journeys of the remote-video issue: an officer opens a site's camera and watches it live; a video wall."""

import pytest
from playwright.sync_api import expect

from parcelwatch.video.models import Camera
from tests.video.conftest import gateway, sources  # noqa: F401  (fixtures)

from .conftest import login

pytestmark = pytest.mark.browser


def _video_time(page, index: int = 0) -> float:
    return page.evaluate("(i) => document.querySelectorAll('video')[i].currentTime", index)


@pytest.mark.realtime
@pytest.mark.usefixtures("gateway")
def test_an_officer_opens_a_sites_camera_and_the_live_video_plays(transactional_db, cast, live_server, new_page,
                                                                   sources):  # noqa: F811
    camera = Camera.objects.create(site=cast.hanjiang_outlet, name="收寄验视台", position="acceptance",
                                   source_url=sources.start("cam-live", "中通涵东营业部 · 收寄验视台"))
    Camera.objects.create(site=cast.hanjiang_outlet, name="出入口", position="entrance",
                          source_url="rtsp://127.0.0.1:9/none", status=Camera.Status.OFFLINE)
    page = new_page()
    login(page, live_server, "hanjiang_officer")
    page.goto(f"{live_server.url}/registry/sites/{cast.hanjiang_outlet.pk}/")
    cameras = page.get_by_test_id("site-cameras")
    expect(cameras).to_contain_text("收寄验视台")
    cameras.get_by_role("link", name="收寄验视台").click()
    page.wait_for_url(f"**/video/cameras/{camera.pk}/")
    expect(page.get_by_test_id("player-state")).to_be_hidden(timeout=40000)
    first = _video_time(page)
    page.wait_for_timeout(3000)
    assert _video_time(page) > first + 1.5  # the picture moves: live time advances

    # The site's cameras on a wall: the live one plays, the dead one says it is offline, with a retry.
    page.goto(f"{live_server.url}/registry/sites/{cast.hanjiang_outlet.pk}/")
    page.get_by_role("link", name="查看全部摄像头").click()
    wall = page.get_by_test_id("video-wall")
    expect(wall.locator(".pw-player")).to_have_count(2)
    expect(wall.locator(".pw-player.is-offline")).to_have_count(1, timeout=40000)
    expect(wall.locator(".is-offline")).to_contain_text("重试")
    playing = wall.locator(".pw-player:not(.is-offline) video")
    expect(playing).to_have_count(1)
    page.wait_for_function("() => [...document.querySelectorAll('video')].some(v => v.currentTime > 1)",
                           timeout=40000)


def test_the_camera_list_is_usable_on_a_phone(transactional_db, cast, live_server, new_page):
    Camera.objects.create(site=cast.hanjiang_outlet, name="收寄验视台", position="acceptance",
                          source_url="rtsp://127.0.0.1:9/none", status=Camera.Status.ONLINE)
    page = new_page(390, 844)
    login(page, live_server, "zto_safety")
    page.goto(f"{live_server.url}/video/cameras/")
    expect(page.get_by_test_id("count-online")).to_have_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.realtime
@pytest.mark.usefixtures("gateway")
def test_a_district_officer_draws_a_video_patrol_and_raises_what_they_see(transactional_db, cast, live_server,
                                                                          new_page, sources):  # noqa: F811
    from parcelwatch.registry.models import Site

    centre = Site.objects.create(name="极兔涵江分拨中心", kind=Site.Kind.SORTING_CENTER, jurisdiction=cast.handong_g1,
                                 district=cast.hanjiang, enterprise=cast.zto_hanjiang, address="涵江区物流园1号")
    Camera.objects.create(site=centre, name="收寄验视台", position="acceptance",
                          source_url=sources.start("cam-patrol", "极兔涵江分拨中心 · 收寄验视台"))
    page = new_page()
    login(page, live_server, "hanjiang_officer")
    page.goto(f"{live_server.url}/video/patrols/")
    page.get_by_label("抽取网点比例（%）").fill("0")
    page.get_by_test_id("draw").click()
    expect(page.get_by_test_id("recheck")).to_contain_text("复核")
    seed = page.get_by_test_id("seed").inner_text()
    assert seed
    page.get_by_role("link", name="极兔涵江分拨中心").click()
    expect(page.get_by_test_id("player-state")).to_be_hidden(timeout=40000)
    page.get_by_test_id("patrol-snapshot").click()
    expect(page.locator("#snapshots img")).to_have_count(1)
    checklist = page.get_by_test_id("checklist")
    for fieldset in checklist.locator("fieldset").all():
        fieldset.get_by_label("符合").check()
    checklist.locator("fieldset").first.get_by_label("发现问题").check()
    page.get_by_label("说明").fill("收寄员未开箱验视直接封箱")
    page.get_by_test_id("record-patrol").click()
    page.get_by_test_id("raise-contents_inspected").click()
    page.wait_for_url("**/events/*/")
    expect(page.get_by_test_id("event-source")).to_have_text("视频巡查")
    expect(page.locator("body")).to_contain_text("收寄员未开箱验视直接封箱")

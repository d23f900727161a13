"""Journeys of the hardening issue: hostile names on the map, reporting from a phone, a background export."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from parcelwatch.events.models import Event
from parcelwatch.exports.models import ExportJob
from parcelwatch.exports.services import run_export
from parcelwatch.registry.models import Site
from tests.evidence_files import jpeg

from .conftest import login

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def test_a_hostile_site_name_is_only_text_in_the_map_tooltip(transactional_db, cast, live_server, new_page):
    Site.objects.filter(pk=cast.licheng_outlet.pk).update(name=HOSTILE)
    page = new_page()
    login(page, live_server, "city_officer")
    response = page.goto(f"{live_server.url}/registry/sites/map/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_test_id("map-count")).to_have_text("显示网点：3")
    page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('pw-map'));
        const series = chart.getOption().series;
        const s = series.findIndex(x => x.data.some(p => String(p[5]).includes('onerror')));
        const d = series[s].data.findIndex(p => String(p[5]).includes('onerror'));
        chart.dispatchAction({type: 'showTip', seriesIndex: s, dataIndex: d});
    }""")
    tooltip = page.locator("#pw-map div").filter(has_text="onerror").last
    expect(tooltip).to_contain_text("<img src=x")
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#pw-map img").count() == 0


def test_grid_worker_reports_from_a_phone_and_loses_nothing_to_a_mistake(transactional_db, cast, live_server, new_page,
                                                                        tmp_path):
    photo = Path(tmp_path) / "现场.jpg"
    photo.write_bytes(jpeg())
    page = new_page(390, 844)
    login(page, live_server, "hanjiang_grid")
    expect(page.get_by_test_id("big-report")).to_be_visible()
    # From the site page (as after scanning its QR code), report here.
    page.goto(f"{live_server.url}/registry/sites/{cast.hanjiang_outlet.pk}/")
    page.get_by_test_id("report-here").click()
    expect(page.get_by_test_id("chosen-site")).to_contain_text("中通涵东营业部")
    page.get_by_label("问题类别").select_option(label="BA02 备案信息变更未办/与实际不符")
    page.locator("#id_photos").set_input_files(str(photo))
    page.get_by_role("button", name="提交上报").click()
    # Checked in the phone before sending: nothing was lost, the photo is still chosen.
    expect(page.get_by_test_id("report-check")).to_contain_text("请描述发现的问题")
    assert page.locator("#id_photos").evaluate("el => el.files.length") == 1
    assert not Event.objects.exists()
    page.get_by_label("发现的问题").fill("营业部实际经营地址与备案地址不符")
    page.get_by_role("button", name="提交上报").click()
    expect(page.locator(".alert-success")).to_contain_text("等待县区邮政业安全中心受理")
    event = Event.objects.get()
    assert event.site == cast.hanjiang_outlet and event.reported_by == cast.hanjiang_grid
    # The page fits the phone: nothing is wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_an_export_is_prepared_in_the_background_and_downloaded(transactional_db, cast, live_server, new_page):
    page = new_page()
    login(page, live_server, "city_officer")
    page.goto(f"{live_server.url}/registry/sites/?district=350303")
    page.get_by_test_id("export-sites").click()
    expect(page.get_by_text("已开始导出“网点”")).to_be_visible()
    job = ExportJob.objects.get()
    assert job.params == {"district": "350303"} and job.state == ExportJob.State.QUEUED
    run_export(job.pk)  # what the background worker does
    expect(page.get_by_test_id("export-download")).to_be_visible(timeout=20000)
    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    assert re.match(r"网点-\d{8}-\d{4}\.xlsx", info.value.suggested_filename)

"""Journeys of the data-analysis issue: a chart drills down to the events it counts; the wall screen."""

import re

import pytest
from playwright.sync_api import expect

from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import report_event
from tests.analytics.conftest import history, photo  # noqa: F401  (history is a fixture)

from .conftest import ARTIFACTS, login

pytestmark = pytest.mark.browser

MARCH = "reported_from=2026-03-01&reported_to=2026-03-31"


@pytest.mark.usefixtures("history")
def test_a_leader_clicks_a_district_bar_and_sees_exactly_its_events(transactional_db, cast, live_server,
                                                                     new_page):
    page = new_page()
    login(page, live_server, "city_leader")
    page.get_by_test_id("nav-stats").click()
    page.goto(f"{live_server.url}/analytics/?{MARCH}")
    expect(page.get_by_test_id("kpi-reported")).to_have_text("8")
    chart = page.locator("#chart-district")
    expect(chart).to_have_attribute("data-ready", "1")
    # The bar of 涵江区: where ECharts drew it, then a real click there.
    bar = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('chart-district'));
        const labels = chart.getOption().yAxis[0].data;
        const i = labels.indexOf('涵江区');
        const value = chart.getOption().series[0].data[i];
        const [x, y] = chart.convertToPixel({seriesIndex: 0}, [value / 2, i]);
        return {x, y, value};
    }""")
    assert bar["value"] == 7
    box = chart.bounding_box()
    page.mouse.click(box["x"] + bar["x"], box["y"] + bar["y"])
    page.wait_for_url(re.compile(r"/events/\?.*district=350303"))
    expect(page.get_by_test_id("result-count")).to_contain_text("7")
    expect(page.get_by_test_id("event-row")).to_have_count(7)


@pytest.mark.usefixtures("history")
def test_the_wall_screen_fills_a_1920_by_1080_display_and_refreshes_itself(transactional_db, cast,
                                                                            live_server, new_page):
    page = new_page(1920, 1080)
    login(page, live_server, "city_leader")
    page.clock.install()
    page.goto(f"{live_server.url}/analytics/wall/")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    # Everything on one screen, nothing cut off or scrolled away.
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= 1920 and size[1] <= 1080
    for testid in ("wall-reported", "wall-overdue", "wall-share", "wall-districts", "wall-ticker"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box and box["x"] >= 0 and box["y"] + box["height"] <= 1080, testid
        # ...and inside its panel, which would hide what overflows.
        panel = page.get_by_test_id(testid).locator("xpath=ancestor::section[1]").bounding_box()
        assert box["y"] + box["height"] <= panel["y"] + panel["height"] + 1, testid
    expect(page.get_by_test_id("wall-districts")).to_contain_text("涵江区")
    expect(page.get_by_test_id("wall-ticker")).to_contain_text("SJ2026")
    # Large enough to read across a room.
    assert page.get_by_test_id("wall-reported").evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 40
    expect(page.get_by_test_id("wall-reported")).to_have_text("0")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wall-screen-1920x1080.png"))
    # A report made now appears at the next refresh, without reloading the page.
    page.evaluate("() => { window.__same_page = true; }")
    report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=EventCategory.objects.get(code="AJ01"),
                 description="安检机未开机", photos=photo(cast.hanjiang_grid))
    page.clock.run_for(31_000)
    expect(page.get_by_test_id("wall-reported")).to_have_text("1")
    expect(page.get_by_test_id("wall-ticker")).to_contain_text("安检")
    assert page.evaluate("() => window.__same_page") is True


@pytest.mark.usefixtures("history")
def test_a_district_wall_screen_shows_only_that_district(transactional_db, cast, live_server, new_page):
    page = new_page(1920, 1080)
    login(page, live_server, "licheng_officer")
    page.goto(f"{live_server.url}/analytics/wall/")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.get_by_test_id("wall-districts")).to_contain_text("荔城区")
    expect(page.get_by_test_id("wall-districts")).not_to_contain_text("涵江区")
    expect(page.get_by_test_id("wall-ticker")).not_to_contain_text("中通涵东")

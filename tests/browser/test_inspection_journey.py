"""The 双随机一公开 journey: 涵江's district officer plans an inspection by credit grade, draws and publishes it,
records an inspection that finds a problem and raises it as an event; anybody, without logging in, reads the
published results and re-runs the draw from its seed."""

import pytest
from playwright.sync_api import expect

from parcelwatch.enforcement.models import Inspection, InspectionPlan
from parcelwatch.events.models import Event
from tests.evidence_files import jpeg

from .conftest import arrive, login

pytestmark = pytest.mark.browser


def test_hanjiang_officer_draws_inspects_and_raises_an_event_and_the_public_checks_the_draw(
        transactional_db, cast, live_server, new_page, tmp_path):
    for user, number in ((cast.hanjiang_officer, "闽邮执0301"), (cast.city_officer, "闽邮执0001")):
        user.enforcement_id = number
        user.save(update_fields=["enforcement_id"])
    page = new_page()
    login(page, live_server, "hanjiang_officer")
    page.goto(f"{live_server.url}/enforcement/inspections/")
    page.get_by_test_id("new-plan").click()
    form = page.get_by_test_id("plan-form")
    form.get_by_label("标题").fill("涵江区实名收寄专项检查")
    form.get_by_label("类型").select_option(value="campaign")
    form.get_by_label("B级及未评级场所抽取比例（%）").fill("100")
    page.get_by_test_id("save-plan").click()
    expect(page.get_by_test_id("plan-state")).to_have_text("草稿")

    page.get_by_test_id("publish-plan").click()
    expect(page.get_by_test_id("plan-state")).to_have_text("已发布（已抽取）")
    expect(page.get_by_test_id("target-row")).to_have_count(2)
    plan = InspectionPlan.objects.get()
    expect(page.get_by_test_id("seed")).to_have_text(plan.seed)

    # The home page counts what was drawn for the officer; the list shows exactly those.
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("inspections-due")).to_contain_text("2")
    page.get_by_test_id("inspections-due").click()
    expect(page.get_by_test_id("inspection-row")).to_have_count(2)
    page.get_by_role("link", name="中通涵东营业部").click()
    arrive(page, r"/enforcement/inspections/\d+/")

    form = page.get_by_test_id("record-form")
    for item in form.locator("li").all():
        item.get_by_label("符合", exact=True).check()
    form.locator("li").nth(1).get_by_label("不符合").check()  # 实名收寄
    page.get_by_test_id("record-inspection").click()
    expect(form.get_by_text("请描述不符合要求的情况")).to_be_visible()
    expect(form.locator("li").nth(1).get_by_label("不符合")).to_be_checked()  # what was ticked is kept
    form.get_by_label("检查发现的问题").fill("寄件人身份未核对即收寄")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg())
    form.get_by_label("照片或扫描件").set_input_files(str(photo))
    page.get_by_test_id("record-inspection").click()
    expect(page.get_by_test_id("inspection-result")).to_have_text("发现问题")
    expect(page.get_by_test_id("raise-form").get_by_label("问题类别")).to_have_value("RS01")
    page.get_by_test_id("raise-event").click()
    page.wait_for_url("**/events/*/")
    inspection = Inspection.objects.get(site=cast.hanjiang_outlet)
    event = inspection.events.get()
    assert event.source == Event.Source.INSPECTION and event.category.code == "RS01"

    # Anyone: the published draw and its result, and the draw re-run from its seed.
    public = new_page(390, 844)
    public.goto(f"{live_server.url}/public/inspections/")
    public.get_by_role("link", name="涵江区实名收寄专项检查").click()
    expect(public.get_by_test_id("seed")).to_have_text(plan.seed)
    expect(public.get_by_test_id("public-target")).to_have_count(2)
    expect(public.get_by_test_id("public-target").filter(has_text="中通涵东营业部")).to_contain_text("实名收寄")
    public.get_by_test_id("verify").click()
    expect(public.get_by_test_id("verify-result")).to_contain_text("完全一致")
    assert plan.pk
